"""python -m simulators.llm --port 9120 [--api-key KEY] [--cite-unknown] [--delay-seconds S]"""

import sys

from simulators.llm.server import main

sys.exit(main())
