"""python -m simulators.registry --port 9102 [--population var/population.jsonl.gz]"""

from simulators.registry.server import main

raise SystemExit(main())
