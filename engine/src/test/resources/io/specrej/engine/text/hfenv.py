"""The jinja2 environment of transformers' apply_chat_template (utils/chat_template_utils.py,
_compile_jinja_template, v4.51), reproduced without transformers: ImmutableSandboxedEnvironment with trim_blocks,
lstrip_blocks, loopcontrols and the {% generation %} tag; tojson = json.dumps(ensure_ascii=False, ...);
raise_exception and strftime_now globals. rendered.json in testdata/fixtures was checked to come out identical.
"""
import json
from datetime import datetime
import jinja2
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

class AssistantTracker(Extension):
    tags = {"generation"}
    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)
    def _render(self, caller):
        return caller()

def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)

def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

def strftime_now(format):
    return datetime.now().strftime(format)

def compile(src):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                       extensions=[AssistantTracker, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(src)

def render(src, messages, agp, special, extra=None):
    try:
        return compile(src).render(messages=messages, tools=None, documents=None,
                                   add_generation_prompt=agp, **special, **(extra or {})), None
    except Exception as e:
        return None, f"{type(e).__name__}: {e}"
