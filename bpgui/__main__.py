import sys

from bpgui.cli import main

sys.exit(main())
