"""Probe templates for pyisms.json. qwen3_style.jinja and llama31_style.jinja are abridged versions of the
official Qwen3 and Llama-3.1/3.2 templates (tool-call branches removed), keeping their Python-isms.
"""
# name -> template; rendered against CONV with add_generation_prompt=True unless overridden
CONV = [
    {"role": "system", "content": "  You are terse.  "},
    {"role": "user", "content": "<think>plan</think>\n\nHello wORLD foo-bar"},
    {"role": "assistant", "content": "xxHi there!xx"},
    {"role": "user", "content": "Thanks, é ünïcode \"quoted\" and\ttab"},
]
P = {}
P["str_strip"] = "{{ messages[0].content.strip() }}|{{ messages[0].content.lstrip() }}|{{ messages[0].content.rstrip() }}|{{ messages[2].content.strip('x') }}|{{ messages[2]['content'].rstrip('x!') }}|{{ messages[2].content.lstrip('x') }}"
P["str_case"] = "{{ messages[1].content.title() }}|{{ messages[1].content.upper() }}|{{ messages[1].content.lower() }}|{{ 'hELLO wORLD'.capitalize() }}|{{ messages[1].content | title }}|{{ 'hELLO' | capitalize }}|{{ 'x' | upper }}"
P["str_startswith"] = "{% for m in messages %}{% if m.content.startswith('<think>') %}S{% endif %}{% if m.content.endswith('xx') %}E{% endif %}{% if m.content.startswith(('xx', 'zz')) %}T{% endif %}.{% endfor %}"
P["str_split"] = "{{ messages[1].content.split('</think>')[-1].lstrip('\\n') }}|{{ messages[1].content.split('</think>')[0].split('<think>')[-1] }}|{{ 'a,b,,c'.split(',') | join('/') }}|{{ ' a  b c '.split() | join('+') }}|{{ 'a-b-c'.split('-', 1) | join('+') }}|{{ 'a-b-c'.rsplit('-', 1) | join('+') }}"
P["str_misc_methods"] = "{{ messages[2].content.replace('x', 'y') }}|{{ 'abcabc'.find('c') }}|{{ 'abcabc'.count('b') }}|{{ '-'.join(['a', 'b']) }}|{{ 'abc'.index('b') }}|{{ 'Ab1'.isdigit() }}|{{ '12'.isdigit() }}|{{ 'a b'.islower() }}"
P["str_print_list"] = "{{ 'a b'.split() }}|{{ [1, 'x', none, true] }}"
P["namespace"] = "{% set ns = namespace(found=false, n=0, last='') %}{% for m in messages %}{% if m.role == 'system' %}{% set ns.found = true %}{% endif %}{% set ns.n = ns.n + 1 %}{% set ns.last = m.role %}{% endfor %}{% if ns.found %}found{% endif %} {{ ns.n }} {{ ns.last }}"
P["namespace_multi_step"] = "{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}\n{%- for message in messages[::-1] %}\n    {%- set index = (messages|length - 1) - loop.index0 %}\n    {%- if ns.multi_step_tool and message.role == \"user\" and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}\n        {%- set ns.multi_step_tool = false %}\n        {%- set ns.last_query_index = index %}\n    {%- endif %}\n{%- endfor %}\n{{- ns.last_query_index }}"
P["loop_controls"] = "{% for m in messages %}{% if m.role == 'system' %}{% continue %}{% endif %}{{ m.role }};{% if loop.index0 >= 2 %}{% break %}{% endif %}{% endfor %}end"
P["loop_vars"] = "{% for m in messages %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.length }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %} {% endfor %}"
P["tojson_messages"] = "{{ messages | tojson }}"
P["tojson_indent"] = "{{ messages[0] | tojson(indent=2) }}"
P["tojson_literals"] = "{{ {'b': 1, 'a': [1, 2.5, none, true, false], 'u': 'é\"\\n<>&'} | tojson }}|{{ 'x' | tojson }}|{{ 3 | tojson }}|{{ none | tojson }}"
P["tojson_sort_keys"] = "{{ {'b': 1, 'a': {'d': 2, 'c': 3}} | tojson(sort_keys=true) }}"
P["tojson_separators"] = "{{ {'b': 1, 'a': [1, 2]} | tojson(separators=(',', ':')) }}"
P["tests"] = "{% if foo is defined %}D{% else %}U{% endif %}{% if foo is not defined %}u{% endif %}{% if tools is none %}N{% endif %}{% if tools is not none %}n{% endif %}{% if messages[0].content is string %}S{% endif %}{% if messages is iterable %}I{% endif %}{% if messages[0] is mapping %}M{% endif %}{% if bos_token is defined %}B{% endif %}{% if messages is sequence %}Q{% endif %}{% if 3 is number %}#{% endif %}{% if messages[0].content is not string %}!{% endif %}"
P["tests_bool"] = "{% set t = true %}{% set f = false %}{% if f is false %}f{% endif %}{% if t is true %}t{% endif %}{% if t is false %}X{% endif %}{% if undefined_var is defined and undefined_var is false %}Y{% endif %}{% if t is boolean %}b{% endif %}"
P["slicing"] = "{% for m in messages[1:] %}{{ m.role }},{% endfor %}|{% for m in messages[:-1] %}{{ m.role }},{% endfor %}|{{ messages[-1].role }}|{% for m in messages[::-1] %}{{ m.role }},{% endfor %}|{{ 'abcdef'[1:3] }}|{{ 'abcdef'[-2:] }}|{{ 'abcdef'[::2] }}|{{ 'abcdef'[-1] }}|{{ messages[1:3] | length }}"
P["concat"] = "{{ 'a' + 'b' ~ 1 }}|{{ [1] + [2] }}|{{ messages[0].role + ':' + messages[1].role }}"
P["literals"] = "{{ 'a\\tb' }}|{{ \"q\\\"uote\" }}|{{ 'it\\'s' }}|{{ '\\u00e9' }}|{{ \"multi\nline\" }}|{{ 'back\\\\slash' }}"
P["ws_control"] = "A\n{%- if true -%}\n   x   \n{%- endif -%}\n  B\n  {{- ' c ' -}}  \nD"
P["ws_comments"] = "line1\n    {# a comment #}\nline2\n{# another #}\n{%- set x = 1 %}\n  {%+ if true %}kept{% endif %}\n{{ x }}\n"
P["ws_lstrip_inline"] = "a {% if true %}b{% endif %} c\n  {% if true %}\n  d\n  {% endif %}\ne {{ 'f' }}\n  {{ 'g' }}\n"
P["trailing_newline"] = "x\n"
P["raw_block"] = "{% raw %}{{ not rendered }}{% endraw %}"
P["set_loop_scope"] = "{% set x = 1 %}{% for m in messages %}{% set x = x + 1 %}{% endfor %}{{ x }}"
P["set_if_scope"] = "{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}"
P["set_block"] = "{% set body %}[{{ messages[1].role }}]{% endset %}{{ body }}{{ body }}"
P["dict_ops"] = "{% for k, v in messages[0].items() %}{{ k }}={{ v }};{% endfor %}|{{ messages[0].get('name', 'anon') }}|{{ messages[0].get('role') }}|{{ messages[0] | length }}|{% if 'role' in messages[0] %}has{% endif %}|{{ messages[0].keys() | list | join(',') }}|{{ messages[0].values() | list | length }}"
P["items_filter"] = "{% for k, v in messages[0] | items %}{{ k }}={{ v }};{% endfor %}{{ {'a': 1} | items | list | length }}"
P["dict_literal"] = "{% set d = {'z': 1, 'a': 2} %}{% for k in d %}{{ k }}{% endfor %}|{% for k, v in d.items() %}{{ k }}{{ v }}{% endfor %}|{{ d['z'] }}{{ d.a }}"
P["filters"] = "{{ messages | length }}|{{ (messages | first).role }}|{{ (messages | last).role }}|{{ messages | map(attribute='role') | join(',') }}|{{ messages | selectattr('role', 'equalto', 'user') | list | length }}|{{ messages | rejectattr('role', 'equalto', 'user') | map(attribute='role') | join(',') }}|{{ undefined_var | default('dflt') }}|{{ '' | default('e', true) }}|{{ 'a-b' | replace('-', '+') }}|{{ '42' | int + 1 }}|{{ [3, 1, 2] | sort | join }}|{{ [1, 2, 2] | unique | list | length }}|{{ -3 | abs }}|{{ 'abc' | reverse }}|{{ [1, 2] | sum }}"
P["filters_string"] = "{{ 3 | string + 'x' }}|{{ 'x' | length }}|{{ ['b', 'a'] | join }}|{{ 'a\\nb' | indent(2) }}|{{ 'a b c' | wordcount }}|{{ '%s-%d' | format('a', 3) }}|{{ 'hi' | center(6) }}|"
P["selectattr_tests"] = "{{ messages | selectattr('role', '==', 'user') | list | length }}|{{ messages | selectattr('role', 'in', ['system', 'assistant']) | list | length }}|{{ messages | map(attribute='content') | select('string') | list | length }}"
P["macro"] = "{% macro fmt(m, sep=':') %}[{{ m.role }}{{ sep }}{{ m.content | length }}]{% endmacro %}{% for m in messages %}{{ fmt(m) }}{{ fmt(m, sep='=') }}{% endfor %}"
P["print_bool"] = "{{ true }}|{{ false }}|{{ add_generation_prompt }}|{{ 1 == 1 }}|{{ undefined_var }}|{{ messages[0].missing }}|{{ [true, none] }}|{{ {'a': 'it\\'s'} }}"
P["print_numbers"] = "{{ 7 // 2 }} {{ 7 % 3 }} {{ 7 / 2 }} {{ 2 ** 3 }} {{ 1.0 }} {{ 2.50 }} {{ 1e3 }} {{ 10 / 5 }} {{ 3 - 5 }}"
P["and_or_values"] = "{{ '' or 'dflt' }}|{{ none or 0 }}|{% set x = messages[5] is defined and messages[5] or 'none5' %}{{ x }}"
P["inline_if"] = "{{ 'a' if messages | length > 3 else 'b' }}|{{ 'c' if false }}|{{ ('x' if true else 'y') + 'z' }}"
P["in_operator"] = "{% if '<think>' in messages[1].content %}1{% endif %}{% if 'user' in ['user', 'x'] %}2{% endif %}{% if 'z' not in 'abc' %}3{% endif %}{% if messages[0].role not in ['system'] %}X{% endif %}{% if 2 in [1, 2] %}4{% endif %}"
P["range_loop"] = "{% for i in range(3) %}{{ i }}{% endfor %}|{% for i in range(1, 7, 2) %}{{ i }}{% endfor %}|{{ range(4) | list | length }}"
P["truthiness"] = "{% if [] %}1{% endif %}{% if '' %}2{% endif %}{% if 0 %}3{% endif %}{% if none %}4{% endif %}{% if {} %}5{% endif %}{% if [0] %}6{% endif %}{% if ' ' %}7{% endif %}{% if not tools %}8{% endif %}{% if not documents %}9{% endif %}"
P["comparisons"] = "{{ 'a' < 'b' }}|{{ messages | length >= 4 }}|{{ not (1 == 2) }}|{{ 1 != 1.0 }}|{{ 'a' == 'a' }}"
P["generation_tag"] = "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}<{{ m.content }}>{% endgeneration %}{% else %}{{ m.role }}{% endif %}{% endfor %}"
P["raise_in_macro"] = "{% macro check(m) %}{% if m.role == 'assistant' %}{{ raise_exception('no assistant: ' + m.content) }}{% endif %}{% endmacro %}{% for m in messages %}{{ check(m) }}{{ m.role }}{% endfor %}"
P["raise_plain"] = "before{{ raise_exception('Only user and assistant roles are supported!') }}after"
P["undefined_function"] = "{{ no_such_function('x') }}"
P["syntax_error"] = "{% if messages %}unclosed"
P["special_tokens"] = "{{ bos_token }}|{{ eos_token }}|{{ pad_token }}|{{ unk_token }}|{{ bos_token + 'x' if bos_token else 'nobos' }}"
P["chatml_generic"] = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
P["nested_index_attr"] = "{{ messages[1]['role'] }}{{ messages[1].role }}{{ messages[messages|length - 1]['content'] | length }}"
P["list_methods"] = "{% set l = ['a', 'b', 'c'] %}{{ l | length }}{{ l.index('b') }}{{ l[-1] }}{{ l.count('a') }}"
P["string_compare_case"] = "{% if messages[1].content.lower().startswith('<think>') %}ok{% endif %}{{ messages[0].content | trim | length }}"
P["not_precedence"] = "{% if not messages[0].role == 'user' %}1{% endif %}{% if not messages[0].role in ['user'] %}2{% endif %}{% set x = not messages | length > 10 %}{% if x %}3{% endif %}{% if not loop_undefined and not false %}4{% endif %}{{ not 1 == 2 }}|{% if messages[0].role is not none and not (messages[0].role == 'x') %}5{% endif %}{% if 'a' not in 'b' and not 'a' in 'b' %}6{% endif %}"
P["nested_dict_literal"] = "{{ {'a': {'b': {'c': 1}}} | tojson }}|{{ {'a': {'b': 1}}['a']['b'] }}"
P["message_with_template_syntax"] = "{{ messages[0].content }}"
P["floats"] = "{{ [0.1, 1e16, 1e-5, 123456789.0, 1.5e300, 2.5, 100.0, 1e15] | tojson }}|{{ 0.1 + 0.2 }}|{{ 1e16 }}|{{ 1e-5 }}|{{ 3 / 4 }}|{{ 10 // 4 }}"
P["whitespace_trim_filter"] = "[{{ ' \\t\\n x \\n' | trim }}][{{ '\\u00a0y\\u00a0' | trim }}][{{ '\\u00a0y\\u00a0'.strip() }}]"

# Templates in the style of well-known models' official ones (from memory, tool branches dropped).
P["model_gemma"] = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"
P["model_phi3"] = "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"
P["model_deepseek_r1"] = "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='', is_first_sp=true) %}{%- for message in messages %}{%- if message['role'] == 'system' %}{%- if ns.is_first_sp %}{% set ns.system_prompt = ns.system_prompt + message['content'] %}{% set ns.is_first_sp = false %}{%- else %}{% set ns.system_prompt = ns.system_prompt + '\\n\\n' + message['content'] %}{%- endif %}{%- endif %}{%- endfor %}{{ bos_token }}{{ ns.system_prompt }}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and 'tool_calls' in message %}{{ raise_exception('no tools') }}{%- endif %}{%- if message['role'] == 'assistant' and 'tool_calls' not in message %}{%- if ns.is_tool %}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- set ns.is_tool = false -%}{%- else %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}{%- endfor -%}{% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\\n'}}{% endif %}"
P["model_mistral_v03_like"] = """{%- if messages[0]["role"] == "system" %}
    {%- set system_message = messages[0]["content"] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}
{%- set user_messages = loop_messages | selectattr("role", "equalto", "user") | list %}

{#- This block checks for alternating user/assistant messages, skipping tool calling messages #}
{%- set ns = namespace() %}
{%- set ns.index = 0 %}
{%- for message in loop_messages %}
    {%- if not (message.role == "tool" or message.role == "tool_results" or (message.tool_calls is defined and message.tool_calls is not none)) %}
        {%- if (message["role"] == "user") != (ns.index % 2 == 0) %}
            {{- raise_exception("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...") }}
        {%- endif %}
        {%- set ns.index = ns.index + 1 %}
    {%- endif %}
{%- endfor %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if message["role"] == "user" %}
        {%- if tools is not none and (message == user_messages[-1]) %}
            {{- "[AVAILABLE_TOOLS] [" }}
            {{- "[/AVAILABLE_TOOLS]" }}
        {%- endif %}
        {%- if loop.last and system_message is defined %}
            {{- "[INST] " + system_message + "\\n\\n" + message["content"] + "[/INST]" }}
        {%- else %}
            {{- "[INST] " + message["content"] + "[/INST]" }}
        {%- endif %}
    {%- elif message["role"] == "assistant" %}
        {{- " " + message["content"]|trim + eos_token}}
    {%- else %}
        {{- raise_exception("Only user and assistant roles are supported, with the exception of an initial optional system message!") }}
    {%- endif %}
{%- endfor %}
"""
P["model_command_r_like"] = """{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% elif false == true %}{% set loop_messages = messages %}{% set system_message = 'You are Command-R.' %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% if system_message != false %}{{ '<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>' + system_message + '<|END_OF_TURN_TOKEN|>' }}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% set content = message['content'] %}{% if message['role'] == 'user' %}{{ '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>' + content.strip() + '<|END_OF_TURN_TOKEN|>' }}{% elif message['role'] == 'assistant' %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>'  + content.strip() + '<|END_OF_TURN_TOKEN|>' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' }}{% endif %}"""
P["model_granite_like"] = """{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set system_message = "Knowledge Cutoff Date: April 2024.\\nToday's Date: " + strftime_now('%B %d, %Y') + ".\\nYou are Granite." %}
    {%- set loop_messages = messages %}
{%- endif %}
{{- '<|start_of_role|>system<|end_of_role|>' + system_message + '<|end_of_text|>\\n' }}
{%- for message in loop_messages %}
    {{- '<|start_of_role|>' + message['role'] + '<|end_of_role|>' + message['content'] + '<|end_of_text|>\\n' }}
    {%- if loop.last and add_generation_prompt %}
        {{- '<|start_of_role|>assistant<|end_of_role|>' }}
    {%- endif %}
{%- endfor %}"""

# A Qwen3-style template (thinking split, multi-step namespace, enable_thinking kwarg).
P["qwen3_style"] = open(__file__.replace('probes.py', 'qwen3_style.jinja')).read()
# A Llama-3.1-style template with strftime_now; rendered with a fixed date_string so it is deterministic.
P["llama31_style"] = open(__file__.replace('probes.py', 'llama31_style.jinja')).read()

EXTRA = {"message_with_template_syntax": [{}],"qwen3_style": [{}, {"enable_thinking": False}], "llama31_style": [{"date_string": "26 Jul 2024"}]}
SPECIAL = {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}
