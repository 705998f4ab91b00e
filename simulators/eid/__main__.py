"""python -m simulators.eid --port 9101 --client-secret … --redirect-uri …"""

from simulators.eid.server import main

raise SystemExit(main())
