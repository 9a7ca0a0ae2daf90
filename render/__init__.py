"""smartlive: a local intelligent livestreaming room."""
__version__ = "0.1.0"
