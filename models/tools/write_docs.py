"""Write $DST/README.md and $DST/EVAL.md (default models/) from the run summaries."""
import json, os, sys, hashlib
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from common import *

DST = os.environ.get("DST", "models")
g = json.load(open(f"{SCR}/gen/summary.json"))
r = json.load(open(f"{SCR}/rm2/summary.json"))  # the reward model as exported
r1 = json.load(open(f"{SCR}/rm/summary.json"))  # its first phase
ds = json.load(open(f"{DATA}/stats.json"))
tc = json.load(open(f"{SCR}/tokcheck.json"))
ev = json.load(open(f"{DST}/EVAL_raw.json"))
m = ev["metrics"]
extra = json.load(open(f"{SCR}/extra.json")) if os.path.exists(f"{SCR}/extra.json") else {}


def st_info(d):
    import struct
    p = f"{DST}/{d}/model.safetensors"
    with open(p, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n))
    cnt = sum(int(__import__("numpy").prod(v["shape"])) for k, v in h.items() if k != "__metadata__")
    return cnt, os.path.getsize(p) / 1e6


GEN_N, GEN_MB = st_info("mini-alpaca-gen")
RM_N, RM_MB = st_info("mini-alpaca-rm")


def sha(p):
    return hashlib.sha256(open(p, "rb").read()).hexdigest()[:16]


def files_table():
    rows = []
    for d in ("mini-alpaca-gen", "mini-alpaca-rm"):
        for f in sorted(os.listdir(f"{DST}/{d}")):
            p = f"{DST}/{d}/{f}"
            rows.append(f"| {d}/{f} | {os.path.getsize(p):,} | {sha(p)} |")
    for f in ("README.md", "EVAL.md", "EVAL_raw.json"):
        rows.append(f"| {f} | (this set) | |")
    return "\n".join(rows)


gc, rc = g["cfg"], r["cfg"]
import re as _re
_ex = open(f"{SCR}/export.log").read()
BF16_DIFF = float(_re.search(r"mini-alpaca-gen exported;.*?diff\| vs fp32 checkpoint: ([0-9.e-]+)", _ex).group(1))
_tp = f"{SCR}/transformers_check.json"
if os.path.exists(_tp):
    t = json.load(open(_tp))
    TCHECK = (f"**Checked with transformers {t['transformers_version']}** (a pinned checkout, loaded through "
              f"`tools/fixtures/pyref_bootstrap.py` on torch {t['torch']}): `LlamaForCausalLM.from_pretrained` / "
              f"`LlamaForSequenceClassification.from_pretrained` on these directories (float32) reproduce our implementation: "
              f"generator max |logit diff| {t['gen_max_abs_logit_diff']:.2e} on a right-padded batch of 2, greedy `generate()` (KV cache) "
              f"gives the same 20 tokens as our loop ({t['hf_greedy_20'] == t['mine_greedy_20']}); RM scores {', '.join(f'{x:.4f}' for x in t['rm_scores_hf'])} "
              f"vs ours {', '.join(f'{x:.4f}' for x in t['rm_scores_mine'])} (max |diff| {t['rm_max_abs_diff']:.2e}). The Python `tokenizers` package "
              "is not installed here, so `AutoTokenizer` was not exercised in Python; the tokenizer files were checked with the Rust library via DJL (above) and the "
              "chat_template was rendered with jinja2 to exactly the prompt format above.")
else:
    TCHECK = "Loading with `transformers` was **not checked**."
vf = r["val_full"]
tr_min = g["train_time_s"] / 60
readme = f"""# mini-alpaca-gen / mini-alpaca-rm

A tiny but real generator / reward-model pair for benchmarking Best-of-N and speculative-rejection decoding
on CPU or GPU. Both are Llama-architecture models in Hugging Face format (`LlamaForCausalLM`,
`LlamaForSequenceClassification`), trained from scratch here on CPU (2 cores) in about {tr_min:.0f} + {(r1['train_time_s'] + r['train_time_s'])/60:.0f} minutes.
They are **small and weak**: the generator writes loosely on-topic, often ungrammatical English in the style of
chat-assistant answers; the reward model mostly learns surface features (response style, length, structure,
on-topic vocabulary) of GPT-4 preferences. They are for exercising the pipeline
(sampling many responses, scoring partial and complete responses, pruning), not for quality claims.

Code: kept beside the steering repository's fixture tools (`prepare_data.py`, `bpe.py`, `train_tokenizer.py`, `model.py`,
`train_gen.py`, `train_rm.py`, `export_models.py`, `evaluate.py`, `check_partial_consistency.py`,
`check_transformers.py`, `write_docs.py`). 

## Data
* Source: GitHub `tatsu-lab/alpaca_eval` snapshot (commit cd543a149df8, 2025-08-09). Files of 4 MiB or more
  were missing from the snapshot, so only some annotation files were readable.
* Generator SFT data: `results/<model>/model_outputs.json` of {ds['sft_models']} models, {ds['sft_examples']:,} (instruction, output)
  conversations over {ds['sft_unique_instructions']} instructions after the hold-out filter (quality varies a lot from model to model).
* Reward-model data: `results/<model>/*/annotations.json` (weighted_alpaca_eval_gpt4_turbo, alpaca_eval_gpt4,
  alpaca_eval_*_fn, ...): {ds['pairs']:,} deduplicated GPT-4 preference pairs (instruction, output_1, output_2,
  preference). The label is p = P(output_2 preferred) = preference - 1 (soft, in [0, 1]); pairs with |p - 0.5| < 0.05 were dropped.
* **Hold-out:** every instruction of the paper's 100-prompt AlpacaFarm evaluation subset (alpaca_farm_100.json in the
  official repository; testdata/alpaca_farm_dev50.json is half of it) is removed from
  all generator, reward-model and tokenizer training data. 24 of those prompts are instruction-only (their
  input was dropped in that file, e.g. "Answer the following question."), so every AlpacaEval instruction that
  *starts with* a held-out prompt was removed as well: {ds['heldout_instructions_removed']} instructions, {ds['heldout_outputs_removed']:,} model outputs.
* Validation split: 40 further instructions, disjoint from the evaluation prompts, were held out for the
  generator's validation loss and the reward model's held-out pairwise accuracy.

## Tokenizer (shared by both models)
Byte-level BPE trained by our own trainer (`bpe.py`) on about 46 M characters of training responses and instructions.
Vocabulary 4096: `<|endoftext|>`=0 (pad), `<|im_start|>`=1, `<|im_end|>`=2 (eos), 256 byte tokens, 3837 merges.
HF `tokenizer.json`: ByteLevel pre-tokenizer (add_prefix_space false, GPT-2 regex), BPE model (vocab + merges),
ByteLevel decoder, added_tokens for the 3 specials. `tokenizer_config.json` has a ChatML `chat_template`,
eos `<|im_end|>`, pad `<|endoftext|>`, no BOS added. About 3.4 characters per token on responses.
**Checked against the Rust HF tokenizers library** (ai.djl.huggingface:tokenizers:0.36.0 from Java 17, truncation off):
{tc['strings']} strings ({tc['tokens']:,} tokens; the 100 ChatML-formatted eval prompts, 300 training responses, unicode, whitespace
and special-token edge cases) give {tc['id_mismatches']} id mismatches and {tc['decode_mismatches']} decode mismatches against the Python encoder.

Prompt format (ChatML, as the `chat_template` renders it with `add_generation_prompt=True`):
```
<|im_start|>user
{{instruction}}<|im_end|>
<|im_start|>assistant
```
The response ends with `<|im_end|>`.

## mini-alpaca-gen (`LlamaForCausalLM`)
* hidden {gc['hidden_size']}, {gc['num_hidden_layers']} layers, {gc['num_attention_heads']} heads (head_dim {gc['hidden_size']//gc['num_attention_heads']}), {gc['num_key_value_heads']} KV heads (GQA), intermediate {gc['intermediate_size']},
  vocab {gc['vocab_size']}, max_position_embeddings {gc['max_position_embeddings']}, rope_theta {gc['rope_theta']}, rms_norm_eps {gc['rms_norm_eps']}, untied lm_head;
  **{GEN_N:,} parameters**. Stored as bfloat16 ({GEN_MB:.1f} MB; rounding from the float32 training weights changes logits by at most {BF16_DIFF:.3f} on a test input); compute in float32 or bfloat16.
* Training: next-token prediction on ChatML conversations, loss on the response tokens and the closing `<|im_end|>`
  only; each conversation truncated to 320 tokens (prompts over 200 tokens skipped); length-bucketed batches of
  about 4096 tokens; AdamW (lr 2e-3, betas 0.9/0.95, wd 0.1), warmup then cosine over a wall-clock budget.
  {g['steps']} steps, {g['train_time_s']/60:.1f} min, {g['train_tokens_seen']/1e6:.2f} M tokens seen (padded batch tokens, about {g['tokens_per_s']:.0f} tok/s), less than one pass over the {g['n_train_convs']:,} sampled conversations.
* Final losses (cross-entropy per response token, nats): train {g['train_loss_400']:.3f} (400 training conversations; running
  average at the end of training {g['final_train_loss_ema']:.3f}), **validation {g['val_loss']:.3f}** (perplexity {g['val_ppl']:.1f}; 400 conversations on held-out instructions).
* `generation_config.json`: do_sample, temperature 1.0, top_k 50, max_new_tokens 128, eos 2, pad 0.

## mini-alpaca-rm (`LlamaForSequenceClassification`, num_labels 1)
* Same backbone names plus `score.weight` [1, {rc['hidden_size']}] (no bias). Backbone = embeddings and the **first {r['rm_layers']} of the {gc['num_hidden_layers']}
  generator layers** (hidden {rc['hidden_size']}, {rc['num_hidden_layers']} layers, same heads/KV heads/intermediate, final norm from the generator);
  `pad_token_id` 0; the score is read at the last non-pad token (HF semantics). {RM_N:,} parameters, float32 ({RM_MB:.1f} MB).
* Input: the conversation exactly as the chat template renders it — `<|im_start|>user\n{{instruction}}<|im_end|>\n<|im_start|>assistant\n{{response}}<|im_end|>\n` —
  for complete **and partial** responses alike (instruction truncated to 110 tokens, response to 160 tokens). This is
  the convention of the official speculative-rejection code: a partial response is scored as if it were the whole
  answer, through the reward model's own chat template. The score is read at the final newline token.
* Training: soft Bradley-Terry loss BCE(sigmoid(r2 - r1), p) plus a small centering term 1e-3*(r1+r2)^2;
  with probability {r['p_trunc']} both responses are cut to the same random prefix length tau (log-uniform in [4, shorter
  response]) and keep the pair's label, so partial responses get meaningful scores. Embeddings and layers
  0-{r['frozen_layers']-1} frozen; AdamW, 16 pairs per step, cosine schedule. Two phases: {r1['train_time_s']/60:.0f} min
  ({r1['steps']} steps, lr 5e-4) with partial responses left open (no end-of-turn tokens), then {r['train_time_s']/60:.0f} min
  ({r['steps']} steps) fine-tuning to the chat-template convention above; final running train loss
  {r['final_train_loss_ema']:.3f} / accuracy {r['final_train_acc_ema']:.3f}.
* **Held-out pairwise accuracy** (pairs on the 40 validation instructions; target = the side GPT-4 preferred):

| input | pairs | RM accuracy | BT loss | baseline "longer full response wins" |
|---|---|---|---|---|
| full responses (<=160 tok) | {vf['n']} | **{vf['acc']:.3f}** | {vf['bt_loss']:.3f} | {vf['longer_wins_acc']:.3f} |
""" + "".join(
    f"| both cut to {t} tokens | {r[f'val_tau{t}']['n']} | {r[f'val_tau{t}']['acc']:.3f} | {r[f'val_tau{t}']['bt_loss']:.3f} | {r[f'val_tau{t}']['longer_wins_acc']:.3f} |\n"
    for t in (16, 32, 64)) + f"""
The length baseline is strong on these annotations (GPT-4 favoured long answers, and the weakest models
write short ones) and uses the *full* response length, which the RM does not see beyond 160 tokens (or at all for the prefix rows).

## Evaluation
See `EVAL.md` (30 held-out prompts x 64 samples; best-of-n curve, partial-vs-final reward correlation).

## Loading
Standard HF directories: `config.json`, `generation_config.json`, `model.safetensors` (own writer: u64 LE header
length, JSON header with dtype/shape/data_offsets and `"__metadata__":{{"format":"pt"}}`, padded to 8 bytes),
`tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json`.
{TCHECK}

## Files
| file | bytes | sha256 (first 16 hex) |
|---|---|---|
{files_table()}
"""
open(f"{DST}/README.md", "w").write(readme)

# ---------------- EVAL.md ----------------
bon = m["expected_best_of_n"]
bz = m["expected_best_of_n_zscore"]
sp = m["spearman_partial_vs_final"]
th = m["final_best_in_top_half_at_tau"]
recs = ev["records"]
picks = [i for i, x in enumerate(recs) if x["prompt_tokens"] < 60][:3]


def clip(s, n=700):
    s = s.replace("\n", "\\n ")
    return s if len(s) <= n else s[:n] + " ..."


ex = []
for i in picks:
    x = recs[i]
    import numpy as np
    f = np.array(x["final"])
    b, w = int(f.argmax()), int(f.argmin())
    ex.append(f"""### Prompt {i}: {clip(x['prompt'], 300)}
* reward mean {f.mean():.3f}, std {f.std():.3f}
* **best** (reward {f[b]:.3f}, {x['resp_tokens'][b]} tokens, {'finished' if x['finished'][b] else 'cut at 128'}):
  > {clip(x['responses'][b])}
* **worst** (reward {f[w]:.3f}, {x['resp_tokens'][w]} tokens, {'finished' if x['finished'][w] else 'cut at 128'}):
  > {clip(x['responses'][w])}
""")

evalmd = f"""# Evaluation of mini-alpaca-gen + mini-alpaca-rm on held-out prompts

Setup: the first {m['n_prompts']} prompts of the paper's 100-prompt AlpacaFarm subset (held out of all training), ChatML
template, N = {m['n_samples']} samples per prompt, temperature {m['temperature']}, top_k {m['top_k']}, at most {m['max_new_tokens']} new tokens,
stop at `<|im_end|>` (`<|endoftext|>` and `<|im_start|>` were masked out at sampling). Models loaded from the
exported directories (generator weights bfloat16, computed in float32; RM float32). Every response, complete or
partial, is scored through the reward model's chat template (content + `<|im_end|>` + newline); the partial reward
at tau scores the first tau generated tokens that way (a response that had already finished before tau keeps its
final reward). A direct single-sequence RM call agrees with the batched scores (max |diff| =
{m['rm_truncation_consistency_max_abs_diff']}). Raw numbers: `EVAL_raw.json`.

Responses: mean {m['mean_response_tokens']:.1f} generated tokens, {100*m['frac_finished']:.1f}% ended with `<|im_end|>` within 128 tokens.
Mean over prompts of the Spearman correlation between response length and final reward: {m['spearman_length_vs_final_reward_mean']:.3f}.

## Reward spread per prompt
* std of the 64 final rewards per prompt: mean {m['reward_spread_std_per_prompt']['mean']:.3f}, std over prompts {m['reward_spread_std_per_prompt']['std']:.3f}
* max - min per prompt: mean {m['reward_range_per_prompt']['mean']:.3f}, std over prompts {m['reward_range_per_prompt']['std']:.3f}
* mean reward over all samples: {m['reward_mean_over_all']:.3f}

## Expected best-of-n reward (exact average of the max over random n-subsets of the 64, averaged over prompts)
| n | """ + " | ".join(bon.keys()) + """ |
|---|""" + "---|" * len(bon) + """
| E[max reward] | """ + " | ".join(f"{v:.3f}" for v in bon.values()) + """ |
| in per-prompt std units above the mean | """ + " | ".join(f"{v:.2f}" for v in bz.values()) + f""" |

## Do partial rewards predict final rewards?
| tau (generated tokens) | """ + " | ".join(sp.keys()) + """ |
|---|""" + "---|" * len(sp) + """
| mean Spearman(partial, final) over prompts | """ + " | ".join(f"{v['mean']:.3f}" for v in sp.values()) + """ |
| std over prompts | """ + " | ".join(f"{v['std']:.3f}" for v in sp.values()) + """ |
| final-best response in the top half at tau (fraction of prompts) | """ + " | ".join(f"{th[k]:.2f}" for k in sp.keys()) + f""" |

Simulated speculative rejection (keep the top fraction at tau by partial reward, finish only those, take the best
final reward among survivors), as the fraction of the best-of-64 gain over the mean that is kept:
""" + "\n".join(f"* {k}: {v:.3f}" for k, v in m["spec_rejection_gap_fraction"].items()) + f"""

## Sampling speed (CPU, 2 threads, batch {m['sampling']['batch']} per prompt with KV cache)
* {m['sampling']['tokens_per_s']:.0f} generated tokens/s counting tokens up to and including `<|im_end|>` ({m['sampling']['generated_tokens']:,} tokens in {m['sampling']['time_s']:.0f} s);
  {m['sampling']['token_slots_per_s']:.0f} token slots/s including finished rows still in the batch.
* RM scoring of {m['rm_scoring']['sequences']:,} responses (the final response and 4 partial lengths, one pass each): {m['rm_scoring']['time_s']:.0f} s.

## Examples (best and worst of 64 by final reward)
""" + "\n".join(ex)
import numpy as np
from scipy.stats import spearmanr
uf = {}
for tau in ("8", "16", "32", "64"):
    rs = []
    for x in recs:
        idx = [i for i, fz in enumerate(x["finished"]) if not fz]
        if len(idx) >= 8:
            rho = spearmanr(np.array(x["partial"][tau])[idx], np.array(x["final"])[idx]).correlation
            if not np.isnan(rho):
                rs.append(rho)
    uf[tau] = (float(np.mean(rs)), len(rs))
fin_r = np.concatenate([np.array(x["final"])[np.array(x["finished"])] for x in recs])
unf_r = np.concatenate([np.array(x["final"])[~np.array(x["finished"])] for x in recs])
best_fin = float(np.mean([x["finished"][int(np.argmax(x["final"]))] for x in recs]))
m["length_controlled"] = {"spearman_partial_vs_final_unfinished_only": {k: v[0] for k, v in uf.items()},
                          "mean_final_reward_finished": float(fin_r.mean()), "mean_final_reward_cut_at_128": float(unf_r.mean()),
                          "frac_prompts_best_is_finished": best_fin}
json.dump(ev, open(f"{DST}/EVAL_raw.json", "w"), indent=1)
evalmd += f"""
## Assessment: do partial rewards predict final ones?
* The RM's final reward is dominated by whether a response stops early: responses that emitted `<|im_end|>`
  within 128 tokens average {fin_r.mean():.2f} vs {unf_r.mean():.2f} for those cut at 128 tokens, and the best-of-64 response is a finished
  one in {100*best_fin:.0f}% of prompts. A short prefix cannot know whether the response will stop early, which caps the
  correlation at small tau.
* Restricted to responses that did not stop (all 128 tokens long, so length plays no part), the mean Spearman
  correlation of partial with final reward is """ + ", ".join(f"{v[0]:.2f} at tau={k}" for k, v in uf.items()) + f""",
  about the same as over all responses: the prefix content carries real signal, and it grows with tau.
* Mean Spearman correlation of partial with final reward: """ + ", ".join(f"{v['mean']:.2f} at tau={k}" for k, v in m["spearman_partial_vs_final"].items()) + f""";
  final best in the top half at tau: """ + ", ".join(f"{100*v:.0f}% at tau={k}" for k, v in m["final_best_in_top_half_at_tau"].items()) + f""".
  Pruning half the samples at tau = 16 keeps {100*m['spec_rejection_gap_fraction']['tau16_keep0.5']:.0f}% of the best-of-64 gain over the mean, and
  keeping a quarter at tau = 32 keeps {100*m['spec_rejection_gap_fraction']['tau32_keep0.25']:.0f}%. A usable, non-trivial test pair for speculative
  rejection; not a model of real LLM reward dynamics.
* On the RM's own validation pairs, prefix-only accuracy (equal-length prefixes, so no length cue) is
  {r['val_tau16']['acc']:.2f} at 16 tokens, {r['val_tau32']['acc']:.2f} at 32 and {r['val_tau64']['acc']:.2f} at 64, against {r['val_full']['acc']:.2f} with full responses.
"""
open(f"{DST}/EVAL.md", "w").write(evalmd)
print("written")
