"""Extract SFT conversations and preference pairs from a tatsu-lab/alpaca_eval snapshot.

Held-out: every instruction appearing in hidden/alpaca_farm_100.json ("prompt")
is removed from all training data (generator SFT, reward model, tokenizer training).
Output: $SCRATCH/mini/data/{sft.jsonl, pairs.jsonl, heldout.json, stats.json}
"""
import json, os, subprocess, random, re, sys, collections

GIT = __import__("os").environ["ALPACA_EVAL_GIT"]  # a bare git dir of github tatsu-lab/alpaca_eval
OUT = __import__("os").path.join(__import__("os").environ.get("SCRATCH", "scratch"), "mini", "data")
HELD = "hidden/alpaca_farm_100.json"


def norm(s):
    return re.sub(r"\s+", " ", s).strip().lower()


_cache = {}


def is_held(ins, held_norm):
    n = norm(ins)
    if n not in _cache:
        # exact match, or the held-out prompt is an instruction whose input was dropped
        # in alpaca_farm_100.json (then every alpaca_eval instruction starting with it is held out)
        _cache[n] = n in held_norm or any(n.startswith(h) for h in held_norm)
    return _cache[n]


def show(path):
    r = subprocess.run(["git", f"--git-dir={GIT}", "show", f"HEAD:{path}"], capture_output=True)
    if r.returncode != 0:
        return None
    try:
        return json.loads(r.stdout)
    except Exception:
        return None


def main():
    os.makedirs(OUT, exist_ok=True)
    held = json.load(open(HELD))
    held_norm = set(norm(x["prompt"]) for x in held)
    files = subprocess.run(["git", f"--git-dir={GIT}", "ls-tree", "-r", "--name-only", "HEAD", "results"],
                           capture_output=True, text=True).stdout.split()
    mo = [f for f in files if re.fullmatch(r"results/[^/]+/model_outputs.json", f)]
    ann = [f for f in files if f.endswith("/annotations.json")]
    all_instr = set()
    n_held_hits = collections.Counter()
    sft = []
    for f in mo:
        d = show(f)
        if not isinstance(d, list):
            continue
        model = f.split("/")[1]
        for x in d:
            ins, out = x.get("instruction"), x.get("output")
            if not isinstance(ins, str) or not isinstance(out, str) or not out.strip():
                continue
            all_instr.add(norm(ins))
            if is_held(ins, held_norm):
                n_held_hits[norm(ins)] += 1
                continue
            sft.append({"instruction": ins, "output": out.strip(), "generator": model})
    pairs = []
    seen = set()
    for f in ann:
        d = show(f)
        if not isinstance(d, list):
            continue
        for x in d:
            ins, o1, o2, p = x.get("instruction"), x.get("output_1"), x.get("output_2"), x.get("preference")
            if not isinstance(ins, str) or not isinstance(o1, str) or not isinstance(o2, str):
                continue
            try:
                p = float(p)
            except Exception:
                continue
            if not (1.0 <= p <= 2.0) or not o1.strip() or not o2.strip() or o1.strip() == o2.strip():
                continue
            if is_held(ins, held_norm):
                continue
            key = (norm(ins), hash(o1.strip()), hash(o2.strip()))
            if key in seen:
                continue
            seen.add(key)
            pairs.append({"instruction": ins, "output_1": o1.strip(), "output_2": o2.strip(),
                          "p2": p - 1.0, "generator_1": x.get("generator_1"), "generator_2": x.get("generator_2"),
                          "annotator": x.get("annotator", f.split("/")[-2])})
    random.seed(0)
    random.shuffle(sft)
    random.shuffle(pairs)
    with open(f"{OUT}/sft.jsonl", "w") as fo:
        for r in sft:
            fo.write(json.dumps(r) + "\n")
    with open(f"{OUT}/pairs.jsonl", "w") as fo:
        for r in pairs:
            fo.write(json.dumps(r) + "\n")
    matched = sum(1 for h in held_norm if any(i == h or i.startswith(h) for i in all_instr))
    stats = {"model_output_files": len(mo), "annotation_files": len(ann), "sft_examples": len(sft),
             "sft_models": len(set(r["generator"] for r in sft)),
             "sft_unique_instructions": len(set(norm(r["instruction"]) for r in sft)),
             "pairs": len(pairs), "pair_unique_instructions": len(set(norm(r["instruction"]) for r in pairs)),
             "heldout_prompts": len(held_norm), "heldout_found_in_alpaca_eval": matched,
             "heldout_outputs_removed": sum(n_held_hits.values()),
             "heldout_instructions_removed": len(n_held_hits)}
    json.dump(stats, open(f"{OUT}/stats.json", "w"), indent=1)
    print(stats)


if __name__ == "__main__":
    main()
