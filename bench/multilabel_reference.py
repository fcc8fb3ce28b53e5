#!/usr/bin/python3
"""Reference multi-label classifier for bench:extraction: scikit-learn's
OneVsRestClassifier(LogisticRegression) on TF-IDF word 1-2-grams + char_wb 2-5-grams (the
features of ../shared/anchors/sklearn_baseline.py). C is chosen on a seeded 10% split of the
training file (never the test file), then the model is refit on the whole training file.
Usage: multilabel_reference.py TRAIN.jsonl TEST.jsonl   (lines {"text": ..., "labels": [...]})
Prints one JSON object with the same figures as the Apprentice row (same definitions: macro-F1
over the labels present in the test reference, ECE with 15 equal-width bins)."""
import json, pickle, random, sys, time
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import MultiLabelBinarizer

def load(path):
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    return [r["text"] for r in rows], [r["labels"] for r in rows]

def model(c):
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )
    return make_pipeline(features, OneVsRestClassifier(LogisticRegression(C=c, solver="liblinear")))

def scores(reference, probabilities, classes):
    """Predicted sets at p >= 0.5 (scikit-learn's decision), their probability if labels were independent, and the figures."""
    chosen = probabilities >= 0.5
    set_p = np.prod(np.where(chosen, probabilities, 1 - probabilities), axis=1)
    tp = {}; npred = {}; ngold = {}; exact = 0; items = []
    for i, gold in enumerate(reference):
        gold = set(gold); pred = {classes[k] for k in np.flatnonzero(chosen[i])}
        for l in gold: ngold[l] = ngold.get(l, 0) + 1
        for l in pred:
            npred[l] = npred.get(l, 0) + 1
            if l in gold: tp[l] = tp.get(l, 0) + 1
        right = pred == gold; exact += right; items.append((set_p[i], right))
    f1 = lambda p, r: 2 * p * r / (p + r) if p + r else 0.0
    T, P, G = sum(tp.values()), sum(npred.values()), sum(ngold.values())
    micro = f1(T / P if P else 1.0, T / G if G else 1.0)
    macro = np.mean([f1(tp.get(l, 0) / npred[l] if npred.get(l) else 0.0, tp.get(l, 0) / ngold[l]) for l in ngold])
    bins = 15; count = np.zeros(bins); conf = np.zeros(bins); hits = np.zeros(bins)
    for c, right in items:
        b = min(bins - 1, int(c * bins)); count[b] += 1; conf[b] += c; hits[b] += right
    ece = float(np.sum(np.abs(hits - conf)) / len(items))
    return {"micro_f1": micro, "macro_f1": float(macro), "exact_set_accuracy": exact / len(reference), "set_ece": ece}

Xtr, ytr = load(sys.argv[1]); Xte, yte = load(sys.argv[2])
binarizer = MultiLabelBinarizer().fit(ytr)
classes = list(binarizer.classes_)

order = list(range(len(Xtr))); random.Random(1).shuffle(order)
cut = len(order) // 10
held, fit = order[:cut], order[cut:]
validation = {}
for c in (1.0, 10.0, 100.0, 1000.0):
    m = model(c).fit([Xtr[i] for i in fit], binarizer.transform([ytr[i] for i in fit]))
    validation[c] = scores([ytr[i] for i in held], m.predict_proba([Xtr[i] for i in held]), classes)["micro_f1"]
best_c = max(validation, key=validation.get)

t0 = time.perf_counter()
final = model(best_c).fit(Xtr, binarizer.transform(ytr))
train_s = time.perf_counter() - t0
final.predict_proba(Xte[:50])
t0 = time.perf_counter()
probabilities = final.predict_proba(Xte)
batch_s = time.perf_counter() - t0
t0 = time.perf_counter()
for text in Xte: final.predict_proba([text])
one_s = time.perf_counter() - t0
out = {"system": "scikit-learn OneVsRest(LogisticRegression liblinear) on tfidf word 1-2 + char_wb 2-5", "C": best_c,
       "validation_micro_f1": validation, "train_s": round(train_s, 2),
       "predict_per_s": round(len(Xte) / one_s), "predict_per_s_batch": round(len(Xte) / batch_s),
       "model_bytes": len(pickle.dumps(final))}
out.update(scores(yte, probabilities, classes))
print(json.dumps(out))
