"""python -m simulators.sms --port 9110 --api-key KEY [--dlr-url URL] [--ascii-only] [faults…]"""

import sys

from simulators.sms.server import main

sys.exit(main())
