"""Check that the per-position RM score (one causal pass over a right-padded batch, as evaluate.py uses) equals
the LlamaForSequenceClassification score of the input truncated after that position."""
import json, os, sys, torch
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from bpe import Tokenizer
from model import load_hf_dir
torch.set_num_threads(2)
torch.manual_seed(0)
D = os.environ.get("DST", "models")
tok = Tokenizer.from_hf(f"{D}/mini-alpaca-gen/tokenizer.json")
rm = load_hf_dir(f"{D}/mini-alpaca-rm")
ev = json.load(open(f"{D}/EVAL_raw.json"))
seqs = []
for rec in ev["records"][:4]:
    p = tok.chat_prompt_ids(rec["prompt"])
    for txt in rec["responses"][:4]:
        seqs.append((p, tok.encode(txt)[:100]))
L = max(len(p) + len(r) for p, r in seqs)
ids = torch.full((len(seqs), L), tok.pad_id, dtype=torch.long)
am = torch.zeros_like(ids)
for j, (p, r) in enumerate(seqs):
    s = p + r
    ids[j, :len(s)] = torch.tensor(s); am[j, :len(s)] = 1
with torch.no_grad():
    allpos = rm.score(rm.model(ids, am))[..., 0]
    diffs = []
    for j, (p, r) in enumerate(seqs):
        for tau in (8, 16, 32, 64):
            if len(r) >= tau:
                direct = rm(torch.tensor([p + r[:tau]]))[0].item()
                diffs.append(abs(direct - allpos[j, len(p) + tau - 1].item()))
print(json.dumps({"n_checks": len(diffs), "max_abs_diff": max(diffs)}))
json.dump({"n_checks": len(diffs), "max_abs_diff": max(diffs)}, open(__import__("os").path.join(__import__("os").environ.get("SCRATCH", "scratch"), "mini", "partial_check.json"), "w"))
