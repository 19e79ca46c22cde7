"""Export trained checkpoints as Hugging Face model directories under $DST (default models/).
argv: which ("gen", "rm" or "both")"""
import json, os, sys
import torch
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from common import *
from model import (Cfg, LlamaForCausalLM, LlamaForSequenceClassification, write_safetensors, hf_config,
                   load_hf_dir)

torch.set_num_threads(2)
DST = os.environ.get("DST", "models")
which = sys.argv[1] if len(sys.argv) > 1 else "both"
tok = get_tok()


def gen_config_json(cfg):
    return {"bos_token_id": cfg.bos_token_id, "eos_token_id": cfg.eos_token_id, "pad_token_id": cfg.pad_token_id,
            "do_sample": True, "temperature": 1.0, "top_k": 50, "max_new_tokens": 128,
            "transformers_version": "4.46.0"}


def export(kind):
    src = os.environ.get("SRC_" + kind.upper(), f"{SCR}/{kind}")
    summ = json.load(open(f"{src}/summary.json"))
    cfg = Cfg(**summ["cfg"])
    sd = torch.load(f"{src}/ckpt.pt")
    if kind == "gen":
        name, arch, dtype = "mini-alpaca-gen", "LlamaForCausalLM", "BF16"
        model = LlamaForCausalLM(cfg)
        extra = {"torch_dtype": "bfloat16"}
    else:
        name, arch, dtype = "mini-alpaca-rm", "LlamaForSequenceClassification", "F32"
        model = LlamaForSequenceClassification(cfg)
        # num_labels=1: transformers stores it as a one-entry id2label/label2id
        extra = {"torch_dtype": "float32", "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}}
    model.load_state_dict(sd)
    model.eval()
    out = f"{DST}/{name}"
    os.makedirs(out, exist_ok=True)
    json.dump(hf_config(cfg, arch, extra), open(f"{out}/config.json", "w"), indent=2)
    gc = gen_config_json(cfg)
    if kind == "rm":
        gc = {k: gc[k] for k in ("bos_token_id", "eos_token_id", "pad_token_id", "transformers_version")}
    json.dump(gc, open(f"{out}/generation_config.json", "w"), indent=2)
    write_safetensors(f"{out}/model.safetensors", model.state_dict(), dtype=dtype)
    tok.write_hf(out, model_max_length=cfg.max_position_embeddings)
    # round-trip check: reload from the directory and compare outputs with the training checkpoint
    m2 = load_hf_dir(out)
    ids = torch.tensor([tok.encode("<|im_start|>user\nName three primary colors.<|im_end|>\n<|im_start|>assistant\nRed, blue and yellow.<|im_end|>")])
    with torch.no_grad():
        a, b = model(ids), m2(ids)
    diff = (a - b).abs().max().item()
    print(name, "exported;", "params", sum(p.numel() for p in model.parameters()),
          "reload max|diff| vs fp32 checkpoint:", diff, "size MB", os.path.getsize(f"{out}/model.safetensors") / 1e6)
    return diff


if which in ("gen", "both"):
    export("gen")
if which in ("rm", "both"):
    export("rm")
