"""Core of the action-plan bot: plan model, import, directory, store, queries and CLI.

Modules here (except ``app``, ``sandbox`` and ``commands``) are pure: they import no
``telegram`` and never read the wall clock; ``today``/``now`` come in as parameters.
"""
