"""The sandbox: the real bot running against a local stand-in of the Telegram Bot API.

``bot.sandbox.botapi`` is the stand-in server. It ships with the product (``make run`` without a token
uses it) and the conversation tests use the same server.
"""
