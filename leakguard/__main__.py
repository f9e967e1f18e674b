from leakguard.cli import main

raise SystemExit(main())
