"""Who is calling: bearer tokens (tokens.py), who may call what (policy.py), the Flask glue
(guard.py), rate limits per caller (ratelimit.py) and the caller as the service layer sees it
(actor.py, plain Python like domain/)."""
