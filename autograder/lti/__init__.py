"""The course server as an LTI 1.3 tool (LTI Advantage): a course on Canvas, Moodle, Blackboard or
D2L opens it from the LMS, without mailed links.

| module | holds |
| --- | --- |
| `registration.py` | the platform's registration, `[lti]` of course.toml |
| `keys.py` | our signing keys, their rotation, and the JWKS the platform reads |
| `platform.py` | talking to the platform: its key set, access tokens, bounded JSON over HTTP |
| `launch.py` | the OIDC login's state and a launch's id_token, validated completely |
| `people.py` | the platform's roles as ours, and the launch's person matched to the roster |
| `ltistore.py` | what LTI remembers (`DATA/lti.sqlite`): nonces, links, line items, passback states |
| `roster_sync.py` | Names and Roles: who the platform adds and drops, applied to the roster CSV |
| `passback.py` | Assignment and Grade Services: line items, scores posted by the release policy, retried |
| `routes.py` | the routes under /lti (the staff page: /lti/staff) and /api/lti |
| `config.py` | what `autograder lti config` prints for Canvas and Moodle |

JOSE (signing and checking JWTs, key sets) is joserfc's; everything LTI-specific is ours.
"""
