import gc
import sys

# Starting builds objects that live as long as the process (modules, classes, the plan, the
# store's indexes): the cyclic collector, run over them again and again meanwhile, frees nothing
# and took about a tenth of the bot's start. ``bot.cli.main`` turns it back on once the command's
# module is loaded and its arguments parsed; ``run`` pauses it again for the rest of its start.
gc.disable()

from bot.cli import main  # noqa: E402

sys.exit(main())
