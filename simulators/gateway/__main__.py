"""python -m simulators.gateway --port 9110 --hash-secret-file var/payment-hash-secret --ipn-url URL [faults…]"""

import sys

from simulators.gateway.server import main

sys.exit(main())
