"""How much AV-MNIST's degraded images can tell: classical classifiers on their PCA scores.

``build_avmnist`` keeps the principal components carrying 30 % of the training images'
variance (5 of 784 on the default split) and clips the reconstruction to [0, 1]: what an
image encoder can use is, up to the clipping, five numbers per image. This script fits
scikit-learn's classifiers on those numbers (the training images' PCA scores, standardised)
and on a few more components (which hold only what the clipping put back), and prints
their test accuracy on the same speaker-disjoint split as ``benchmarks/avmnist.py``. It
bounds what to expect of any image encoder on this data: the series' ``cnn_flat`` and the
LeNet-style baseline (``benchmarks/avmnist.py --seeds 0 1 2``) are compared against it.

    python benchmarks/avmnist_image_ceiling.py            # about a minute of CPU

Needs the real data (``--data`` or ``MMTUTOR_DATA``).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("MMTUTOR_DATA"),
                        help="data folder (default: $MMTUTOR_DATA)")  # fmt: skip
    parser.add_argument("--split-seed", type=int, default=0, help="seed of build_avmnist")
    parser.add_argument("--components", type=int, nargs="+", default=[5, 8, 20],
                        help="PCA scores given to the classifiers")  # fmt: skip
    args = parser.parse_args()
    if args.data:
        os.environ["MMTUTOR_DATA"] = args.data
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from mmtutor.data import build_avmnist

    data = build_avmnist(seed=args.split_seed, speaker_disjoint=True, num_samples=8000)
    flat = {
        s: getattr(data, s).x["image"].reshape(len(getattr(data, s)), -1) for s in ("train", "test")
    }
    print(f"{data}; test speaker {data.split_speakers['test'][0]}")
    pca = PCA(max(args.components), svd_solver="full").fit(flat["train"].astype(np.float64))
    ratios = ", ".join(f"{r:.4f}" for r in pca.explained_variance_ratio_[:8])
    print(f"variance ratio of the first components of the degraded training images: {ratios}")
    scores = {s: pca.transform(v.astype(np.float64)) for s, v in flat.items()}
    classifiers = {
        "logistic regression": lambda: LogisticRegression(max_iter=2000),
        "QDA (reg 0.01)": lambda: QuadraticDiscriminantAnalysis(reg_param=0.01),
        "k-NN (k=25)": lambda: KNeighborsClassifier(25),
        "SVM, RBF kernel (C=3)": lambda: SVC(C=3.0),
    }
    rows = []
    for name, make in classifiers.items():
        row = {"classifier": name}
        for k in args.components:
            start = time.perf_counter()
            model = make_pipeline(StandardScaler(), make()).fit(
                scores["train"][:, :k], data.train.y
            )
            accuracy = model.score(scores["test"][:, :k], data.test.y)
            row[f"{k} components"] = f"{accuracy:.3f}"
            row[f"{k} s"] = f"{time.perf_counter() - start:.1f}"
        rows.append(row)
    import pandas as pd

    table = pd.DataFrame(rows).set_index("classifier")
    print("test accuracy (and fit seconds) on the PCA scores of the degraded images:")
    print(table.to_string())


if __name__ == "__main__":
    main()
