"""python -m simulators.agency --profile police --port 9103 [--mode now|later|reject] [faults…]"""

import sys

from simulators.agency.server import main

sys.exit(main())
