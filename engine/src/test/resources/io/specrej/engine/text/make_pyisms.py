"""Regenerates pyisms.json: small templates that exercise the Python/jinja2 behaviour real chat templates rely on.

Rendered with jinja2 in the environment transformers' apply_chat_template uses (hfenv.py). Run from this folder:
python3 make_pyisms.py > pyisms.json
"""
import json, sys
import jinja2
import hfenv
from probes import P, CONV, SPECIAL, EXTRA

THINK_CONV = [
    {"role": "user", "content": "2+2?"},
    {"role": "assistant", "content": "<think>\nadd them\n</think>\n\n4"},
]
NO_SYSTEM_CONV = [
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": " <think>\nhmm\n</think>\n\nHello! "},
    {"role": "user", "content": "Bye"},
]
cases = []
for name, src in P.items():
    variants = [(CONV, True, e) for e in EXTRA.get(name, [{}])]
    if name == "qwen3_style":
        variants.append((THINK_CONV, False, {}))
    if name.startswith("model_") and "strftime_now" not in src:  # keep goldens date-independent
        variants.append((NO_SYSTEM_CONV, False, {}))
    if name == "message_with_template_syntax":
        variants = [([{"role": "user", "content": "{{ 7 * 7 }} {% if true %}x{% endif %} {# c #}"}], True, {})]
    if name == "chatml_generic":
        variants.append((CONV, False, {}))
    for i, (msgs, agp, extra) in enumerate(variants):
        r, e = hfenv.render(src, msgs, agp, SPECIAL, extra)
        cases.append({"name": f"{name}#{i}", "template": src, "messages": msgs, "add_generation_prompt": agp,
                      "special_tokens": SPECIAL, "extra": extra, "rendered": r, "error": e})
from datetime import datetime
STRFTIME_FORMATS = ["%d %b %Y", "%-d %B %Y", "%A %a %j %I %p %y %e %H:%M:%S.%f", "%c", "%x %X", "%Y-%m-%d %z%Z %%",
                    "%D %F %R %T %h %w", "%I %p %-H %-m %-I %-M %-S"]
TIMES = [datetime(2024, 7, 26, 14, 3, 5, 123456), datetime(2024, 1, 5, 0, 7, 9)]
strftime = [{"time": t.isoformat(), "format": f, "expected": t.strftime(f)} for t in TIMES for f in STRFTIME_FORMATS]
json.dump({"description": __doc__.strip(), "jinja2_version": jinja2.__version__, "cases": cases,
           "strftime": strftime}, sys.stdout,
          indent=1, ensure_ascii=False)
