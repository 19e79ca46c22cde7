"""Load the exported directories with transformers' from_pretrained and compare with model.py.
Run with: PYTHONPATH=<safetensors shim>:<transformers src>:... python3 check_transformers.py [models_dir]"""
import json, os, sys
import torch
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from bpe import Tokenizer
from model import load_hf_dir
# the pinned transformers checkout in $PYREF + its torch-1.13 bootstrap (safetensors in pure Python,
# inert tokenizers stub), set up by another helper for the fixture generator
os.environ.setdefault("PYREF", "pyref")
sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__import__("os").path.abspath(__file__)), "..", "fixtures"))
try:  # only needed to import transformers 4.51 on torch 1.13; a current torch imports it unaided
    import pyref_bootstrap  # noqa: F401  (must precede transformers)
except ImportError:
    pass
import transformers
from transformers import LlamaForCausalLM as AutoModelForCausalLM, LlamaForSequenceClassification as AutoModelForSequenceClassification  # Auto* needs the tokenizers package

torch.set_num_threads(2)
D = sys.argv[1] if len(sys.argv) > 1 else "models"
tok = Tokenizer.from_hf(f"{D}/mini-alpaca-gen/tokenizer.json")
texts = ["<|im_start|>user\nName three primary colors.<|im_end|>\n<|im_start|>assistant\nRed, blue and yellow.<|im_end|>",
         "<|im_start|>user\nWrite a haiku about the sea.<|im_end|>\n<|im_start|>assistant\nWaves"]
seqs = [tok.encode(t) for t in texts]
L = max(map(len, seqs))
ids = torch.full((2, L), tok.pad_id, dtype=torch.long)
am = torch.zeros(2, L, dtype=torch.long)
for j, s in enumerate(seqs):
    ids[j, :len(s)] = torch.tensor(s); am[j, :len(s)] = 1
res = {"transformers_version": transformers.__version__, "torch": torch.__version__}
with torch.no_grad():
    g_hf = AutoModelForCausalLM.from_pretrained(f"{D}/mini-alpaca-gen", torch_dtype=torch.float32).eval()
    g_me = load_hf_dir(f"{D}/mini-alpaca-gen")
    a = g_hf(input_ids=ids, attention_mask=am).logits
    b = g_me(ids, am)
    res["gen_class"] = type(g_hf).__name__
    res["gen_max_abs_logit_diff"] = float(max((a[j, :len(s)] - b[j, :len(s)]).abs().max() for j, s in enumerate(seqs)))
    # greedy continuation through HF generate (KV cache path)
    p = torch.tensor([tok.chat_prompt_ids("Give three tips for staying healthy.")])
    out = g_hf.generate(p, max_new_tokens=20, do_sample=False)
    res["hf_greedy_20"] = tok.decode(out[0, p.shape[1]:].tolist())
    cur = p
    for _ in range(20):
        nxt = g_me(cur)[:, -1].argmax(-1, keepdim=True)
        cur = torch.cat([cur, nxt], 1)
        if nxt.item() == tok.eos_id:
            break
    res["mine_greedy_20"] = tok.decode(cur[0, p.shape[1]:].tolist())
    r_hf = AutoModelForSequenceClassification.from_pretrained(f"{D}/mini-alpaca-rm", torch_dtype=torch.float32).eval()
    r_me = load_hf_dir(f"{D}/mini-alpaca-rm")
    s_hf = r_hf(input_ids=ids, attention_mask=am).logits[:, 0]
    s_me = r_me(ids, am)
    res["rm_class"] = type(r_hf).__name__
    res["rm_scores_hf"] = s_hf.tolist()
    res["rm_scores_mine"] = s_me.tolist()
    res["rm_max_abs_diff"] = float((s_hf - s_me).abs().max())
print(json.dumps(res, indent=1))
json.dump(res, open(os.environ.get("CHECK_OUT", __import__("os").path.join(__import__("os").environ.get("SCRATCH", "scratch"), "mini", "transformers_check.json")), "w"), indent=1)
