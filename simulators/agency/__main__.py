import sys

from simulators.agency.server import main

sys.exit(main())
