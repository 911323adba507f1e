"""CLI subcommands, one module per concern; see ``bot.cli``."""
