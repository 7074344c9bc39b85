#!/usr/bin/env python3
"""Golden renderings of a model's chat template by transformers (its own Jinja sandbox), for the
templates SwarmTune recognises besides SmolLM2's (which tokenizer_fixtures.py covers from the
real core).

The template source comes from a .jinja file, e.g. llama.cpp's models/templates (shipped in the
llama-cpp-python sdist: `pip download llama-cpp-python --no-deps --no-binary :all:`):

    scripts/reference/chat_template_fixtures.py \\
        --template vendor/llama.cpp/models/templates/Qwen-Qwen2.5-7B-Instruct.jinja \\
        --out Tests/TokenizerTests/Fixtures/qwen2_5_chat_template.json

Writes the template source and, per conversation of tokenizer_fixtures.py's chat cases (minus
the tool-role one: Qwen2.5 wraps tool output in a user turn, which SwarmTune's records never
hold), transformers' rendering with and without the generation prompt as given.
"""
import argparse, os, sys

import transformers
from transformers.utils.chat_template_utils import render_jinja_template

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokenizer_fixtures import chat_cases, write_fixture  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--template", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    source = open(a.template, encoding="utf-8").read()
    chats = []
    for messages, gen in chat_cases():
        if any(m["role"] == "tool" for m in messages):
            continue
        rendered = render_jinja_template([messages], chat_template=source, add_generation_prompt=gen)
        rendered = rendered[0] if isinstance(rendered, tuple) else rendered
        rendered = rendered[0] if isinstance(rendered, list) else rendered
        chats.append({"messages": messages, "addGenerationPrompt": gen, "rendered": rendered})
    write_fixture({"meta": {"generator": "scripts/reference/chat_template_fixtures.py", "transformers": transformers.__version__,
                            "template": os.path.basename(a.template)},
                   "chatTemplate": source, "chats": chats}, a.out)
    print(f"{len(chats)} conversations rendered; wrote {a.out}")


if __name__ == "__main__":
    main()
