"""Best-of-N / partial-reward evaluation of the exported mini-alpaca-gen + mini-alpaca-rm pair on held-out
alpaca_farm_100 prompts. Loads the models from the exported HF directories (safetensors).
argv: n_prompts (30) n_samples (64)"""
import json, math, os, sys, time
import numpy as np
import torch
import torch.nn.functional as F
from scipy.stats import spearmanr
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from bpe import Tokenizer
from model import load_hf_dir

torch.set_num_threads(2)
torch.manual_seed(1234)
DST = os.environ.get("DST", "models")
NP = int(sys.argv[1]) if len(sys.argv) > 1 else 30
N = int(sys.argv[2]) if len(sys.argv) > 2 else 64
MAXNEW, TOPK, TEMP, TAUS = 128, 50, 1.0, (8, 16, 32, 64)
OUTJ = os.environ.get("EVAL_JSON", f"{DST}/EVAL_raw.json")

tok = Tokenizer.from_hf(f"{DST}/mini-alpaca-gen/tokenizer.json")
gen = load_hf_dir(f"{DST}/mini-alpaca-gen")
rm = load_hf_dir(f"{DST}/mini-alpaca-rm")
prompts = [x["prompt"] for x in json.load(open(os.environ.get("PROMPTS", "hidden/alpaca_farm_100.json")))][:NP]
BANNED = [tok.pad_id, tok.im_start_id]  # <|endoftext|> (also the RM pad id) and <|im_start|> never sampled


@torch.no_grad()
def sample(prompt_ids, n):
    caches = [dict() for _ in gen.model.layers]
    P = len(prompt_ids)
    ids = torch.tensor([prompt_ids])
    logits = gen(ids, None, caches, 0)[:, -1]  # prompt once, then broadcast the KV cache
    for c in caches:
        c["k"] = c["k"].expand(n, -1, -1, -1).contiguous()
        c["v"] = c["v"].expand(n, -1, -1, -1).contiguous()
    logits = logits.expand(n, -1)
    out = torch.zeros(n, MAXNEW, dtype=torch.long)
    done = torch.zeros(n, dtype=torch.bool)
    lens = torch.full((n,), MAXNEW, dtype=torch.long)
    steps = 0
    for t in range(MAXNEW):
        lg = logits.float() / TEMP
        lg[:, BANNED] = -float("inf")
        v, ix = lg.topk(TOPK, dim=-1)
        nxt = ix.gather(1, torch.multinomial(F.softmax(v, -1), 1))[:, 0]
        nxt = torch.where(done, torch.full_like(nxt, tok.eos_id), nxt)
        out[:, t] = nxt
        newly = (nxt == tok.eos_id) & ~done
        lens[newly] = t  # response length excluding <|im_end|>
        done |= newly
        steps += 1
        if done.all():
            break
        am = torch.ones(n, P + t + 1, dtype=torch.long)
        logits = gen(nxt[:, None], am, caches, P + t)[:, -1]
    resp = [out[i, :lens[i]].tolist() for i in range(n)]
    finished = [bool(done[i]) for i in range(n)]
    return resp, finished, steps


@torch.no_grad()
def rm_scores_all_positions(seqs):
    """Per-position RM scores for right-padded sequences. Because the RM is causal, the score at position t
    equals the LlamaForSequenceClassification score of the sequence truncated after t."""
    L = max(map(len, seqs))
    ids = torch.full((len(seqs), L), tok.pad_id, dtype=torch.long)
    am = torch.zeros(len(seqs), L, dtype=torch.long)
    for j, s in enumerate(seqs):
        ids[j, :len(s)] = torch.tensor(s)
        am[j, :len(s)] = 1
    h = rm.model(ids, am)
    return rm.score(h)[..., 0]


END_OF_TURN = [tok.eos_id] + tok.encode("\n")


@torch.no_grad()
def rm_score_last(seqs, block=32):
    """RM score of each sequence (read at its last token), right-padded batches."""
    out = []
    for k in range(0, len(seqs), block):
        blk = seqs[k:k + block]
        S = rm_scores_all_positions(blk)
        out.extend(float(S[j, len(s) - 1]) for j, s in enumerate(blk))
    return out


def expected_best_of(r, n):
    """Exact E[max of a uniformly random n-subset] of the values r."""
    r = np.sort(np.asarray(r))
    m = len(r)
    i = np.arange(1, m + 1)
    w = np.array([math.comb(k - 1, n - 1) for k in i], dtype=float) / math.comb(m, n)
    return float((w * r).sum())


records, sampled_ids = [], []
gen_time, gen_tokens, gen_slots, rm_time = 0.0, 0, 0, 0.0
for pi, prompt in enumerate(prompts):
    p_ids = tok.chat_prompt_ids(prompt)
    t0 = time.time()
    resp, fin, steps = sample(p_ids, N)
    gen_time += time.time() - t0
    gen_tokens += sum(len(r) + int(f) for r, f in zip(resp, fin))
    gen_slots += steps * N
    t0 = time.time()
    # Every response, complete or partial, is scored the way the reward model's chat template renders an assistant
    # turn: content + <|im_end|> + newline (the convention of the official speculative-rejection code).
    final = rm_score_last([p_ids + r + END_OF_TURN for r in resp])
    partial = {}
    for tau in TAUS:
        # a response that already finished before tau is complete: it keeps its final score
        cut = [p_ids + r[:tau] + END_OF_TURN for r in resp]
        sc = rm_score_last(cut)
        partial[tau] = [sc[j] if len(resp[j]) >= tau else final[j] for j in range(N)]
    rm_time += time.time() - t0
    sampled_ids.append(resp)
    records.append({"prompt": prompt, "prompt_tokens": len(p_ids), "responses": [tok.decode(r) for r in resp],
                    "resp_tokens": [len(r) for r in resp], "finished": fin, "final": final,
                    "partial": {str(t): partial[t] for t in TAUS}})
    print(f"prompt {pi}: P={len(p_ids)} mean_len={np.mean([len(r) for r in resp]):.1f} "
          f"finished={np.mean(fin):.2f} final mean {np.mean(final):.3f} std {np.std(final):.3f} "
          f"gen {gen_tokens/gen_time:.0f} tok/s", flush=True)

# consistency check: truncated-input RM call == per-position score
chk = []
with torch.no_grad():
    for rec, ids_list in zip(records[:3], sampled_ids[:3]):
        p_ids = tok.chat_prompt_ids(rec["prompt"])
        for i in range(4):
            r = ids_list[i]  # the sampled ids (re-encoding the decoded text need not give the same ids)
            if len(r) >= 32:
                s = rm(torch.tensor([p_ids + r[:32] + END_OF_TURN]))[0].item()
                chk.append(abs(s - rec["partial"]["32"][i]))

# ---------------- metrics ----------------
ns = [n for n in (1, 2, 4, 8, 16, 32, 64) if n <= N]
fin_arr = [np.array(r["final"]) for r in records]
spread_std = [float(np.std(f)) for f in fin_arr]
spread_rng = [float(np.max(f) - np.min(f)) for f in fin_arr]
bon = {n: float(np.mean([expected_best_of(f, n) for f in fin_arr])) for n in ns}
bon_z = {n: float(np.mean([(expected_best_of(f, n) - f.mean()) / (f.std() + 1e-9) for f in fin_arr])) for n in ns}
spear = {}
top_half = {}
for tau in TAUS:
    rs = []
    th = []
    for r in records:
        f = np.array(r["final"]); p = np.array(r["partial"][str(tau)])
        rho = spearmanr(p, f).correlation
        if not np.isnan(rho):
            rs.append(rho)
        best = int(np.argmax(f))
        rank = (p > p[best]).sum()  # number strictly better at tau
        th.append(bool(rank < len(p) / 2))
    spear[tau] = {"mean": float(np.mean(rs)), "std": float(np.std(rs)), "n_prompts": len(rs)}
    top_half[tau] = float(np.mean(th))


def spec_rejection(tau, keep_frac):
    """Keep the top keep_frac of the N partial responses at tau, return best final among survivors,
    as the fraction of the (best-of-N - mean) gap achieved."""
    out = []
    for r in records:
        f = np.array(r["final"]); p = np.array(r["partial"][str(tau)])
        k = max(1, int(round(keep_frac * len(p))))
        keep = np.argsort(-p)[:k]
        out.append((f[keep].max() - f.mean()) / (f.max() - f.mean() + 1e-9))
    return float(np.mean(out))


spec = {f"tau{t}_keep{k}": spec_rejection(t, k) for t in (16, 32) for k in (0.5, 0.25)}
lens = np.concatenate([np.array(r["resp_tokens"]) for r in records])
finished = np.concatenate([np.array(r["finished"]) for r in records])
len_corr = float(np.nanmean([spearmanr(r["resp_tokens"], r["final"]).correlation for r in records]))
metrics = {
    "n_prompts": len(records), "n_samples": N, "max_new_tokens": MAXNEW, "top_k": TOPK, "temperature": TEMP,
    "reward_spread_std_per_prompt": {"mean": float(np.mean(spread_std)), "std": float(np.std(spread_std))},
    "reward_range_per_prompt": {"mean": float(np.mean(spread_rng)), "std": float(np.std(spread_rng))},
    "reward_mean_over_all": float(np.mean(np.concatenate(fin_arr))),
    "expected_best_of_n": bon, "expected_best_of_n_zscore": bon_z,
    "spearman_partial_vs_final": spear, "final_best_in_top_half_at_tau": top_half,
    "spec_rejection_gap_fraction": spec,
    "mean_response_tokens": float(lens.mean()), "frac_finished": float(finished.mean()),
    "spearman_length_vs_final_reward_mean": len_corr,
    "sampling": {"generated_tokens": int(gen_tokens), "time_s": gen_time, "tokens_per_s": gen_tokens / gen_time,
                 "token_slots_per_s": gen_slots / gen_time, "batch": N, "kv_cache": True, "threads": 2},
    "rm_scoring": {"time_s": rm_time, "sequences": len(records) * N},
    "rm_truncation_consistency_max_abs_diff": float(max(chk)) if chk else None,
}
json.dump({"metrics": metrics, "records": records}, open(OUTJ, "w"), indent=1)
print(json.dumps(metrics, indent=1))
