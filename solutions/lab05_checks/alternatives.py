"""Correct implementations that differ from the reference: each must score full marks.

A check that fails one of these penalises correct work (a false positive). Where that is
known and not fixed yet, mark the alternative `known_gap=True` with a `reason`.
"""

from __future__ import annotations

from autograder.selftest.library import Alternative
from autograder.selftest.source import chain, edit, replace, rewrite
from lab05_checks.devices_library import DEVICE_ALTERNATIVES

# fit written inline, model.train() at the start of every epoch (the mutant that calls it once,
# before the loop, is this source with that line moved: mutants.FIT_TRAIN_MODE_ONCE)
FIT_TRAIN_EACH_EPOCH = '''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device) -> dict:
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for _ in range(epochs):
        model.train()
        total, count = 0.0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            count += len(y)
        history["train_loss"].append(total / count)
        metrics = evaluate(model, val_loader, loss_fn, device)
        history["val_loss"].append(metrics["loss"])
        history["val_accuracy"].append(metrics["accuracy"])
    return history
'''

ALTERNATIVES: list[Alternative] = [
    # ---------------------------------------------------------------- Part A
    Alternative("alt_huber_piecewise_mask", ("huber_loss",), rewrite('''
def huber_loss(pred, target, delta=1.0, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    if delta <= 0:
        raise ValueError("delta must be positive")
    d = (pred - target).abs()
    small = (d < delta).to(pred.dtype)
    values = small * 0.5 * d**2 + (1 - small) * delta * (d - 0.5 * delta)
    return _reduce(values, reduction)
''')),
    Alternative("alt_huber_where_inclusive_boundary", ("huber_loss",), rewrite('''
def huber_loss(pred, target, delta=1.0, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"unknown reduction {reduction!r}")
    if pred.shape != target.shape:
        raise ValueError(f"shapes {tuple(pred.shape)} and {tuple(target.shape)} differ")
    if not delta > 0:
        raise ValueError("delta must be > 0")
    d = pred - target
    loss = torch.where(d.abs() <= delta, 0.5 * d * d, delta * d.abs() - 0.5 * delta**2)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()
''')),
    Alternative("alt_mse_mae_sum_over_numel", ("mse_loss", "mae_loss"), rewrite('''
def mse_loss(pred, target, reduction="mean"):
    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} vs target {tuple(target.shape)}")
    diff = pred - target
    per_element = diff * diff
    reducers = {"none": lambda v: v, "sum": torch.sum,
                "mean": lambda v: v.sum() / v.numel()}
    if reduction not in reducers:
        raise ValueError(f"unknown reduction {reduction!r}")
    return reducers[reduction](per_element)
''', '''
def mae_loss(pred, target, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction)
    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} vs target {tuple(target.shape)}")
    per_element = torch.abs(torch.sub(pred, target))
    if reduction == "none":
        return per_element
    total = per_element.sum()
    return total if reduction == "sum" else total / per_element.numel()
''')),
    # ---------------------------------------------------------------- Part B
    Alternative("alt_softmax_via_own_logsumexp", ("softmax", "log_softmax"), rewrite('''
def log_softmax(logits, dim=-1):
    m = logits.max(dim=dim, keepdim=True).values
    lse = m + torch.log(torch.sum(torch.exp(logits - m), dim=dim, keepdim=True))
    return logits - lse
''', '''
def softmax(logits, dim=-1):
    return torch.exp(log_softmax(logits, dim))
''')),
    Alternative("alt_ce_logsumexp_own_ops", ("cross_entropy",), rewrite('''
def cross_entropy(logits, targets, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"unknown reduction {reduction!r}")
    if logits.dim() != 2 or targets.shape != logits.shape[:1]:
        raise ValueError("logits must be (N, C) and targets (N,)")
    n, c = logits.shape
    if ((targets < 0) | (targets >= c)).any():
        raise ValueError("targets must lie in [0, C)")
    m = logits.max(dim=1, keepdim=True).values
    lse = (logits - m).exp().sum(dim=1).log() + m.squeeze(1)
    losses = lse - logits[torch.arange(n), targets]
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses
''')),
    Alternative("alt_ce_one_hot", ("cross_entropy",), rewrite('''
def cross_entropy(logits, targets, reduction="mean"):
    _check_reduction(reduction)
    if len(logits.shape) != 2 or len(targets.shape) != 1 or len(logits) != len(targets):
        raise ValueError("expected logits (N, C) and targets (N,)")
    num_classes = logits.shape[1]
    if targets.numel() and not (0 <= int(targets.min()) and int(targets.max()) < num_classes):
        raise ValueError("every target must be a class index in [0, C)")
    one_hot = F.one_hot(targets, num_classes).to(logits.dtype)
    per_sample = -(one_hot * log_softmax(logits, dim=1)).sum(dim=1)
    return _reduce(per_sample, reduction)
''')),
    Alternative("alt_bce_log_one_minus_p", ("binary_cross_entropy",), rewrite('''
def binary_cross_entropy(probs, targets, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(probs, targets)
    # log(1 - p) rather than log1p(-p); each log of a safe value, so the gradient stays finite
    # at p of exactly 0 or 1 (a bare clamp of log(0) would give 0 * inf = nan there).
    log_p = torch.where(probs > 0, torch.log(torch.where(probs > 0, probs, 1.0)), -100.0)
    q = 1 - probs
    log_q = torch.where(q > 0, torch.log(torch.where(q > 0, q, 1.0)), -100.0)
    log_p, log_q = log_p.clamp(min=-100), log_q.clamp(min=-100)
    return _reduce(-(targets * log_p + (1 - targets) * log_q), reduction)
''')),
    Alternative("alt_bcel_maximum_log1p", ("binary_cross_entropy_with_logits",), rewrite('''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError("bad reduction")
    if logits.shape != targets.shape:
        raise ValueError(f"shapes {tuple(logits.shape)} and {tuple(targets.shape)} differ")
    # -log(sigmoid(x)) = max(-x, 0) + log1p(exp(-|x|)); torch.maximum splits the gradient of
    # a tie, so at exactly x = 0 the gradient is PyTorch's (a clamp's or relu's is one-sided:
    # mutant_r31_bcel_clamp_log1p).
    neg_log_sigmoid = (torch.maximum(-logits, torch.zeros_like(logits))
                       + torch.log1p(torch.exp(-logits.abs())))
    if pos_weight is None:
        loss = (1 - targets) * logits + neg_log_sigmoid
    else:
        loss = (1 - targets) * logits + (1 + (pos_weight - 1) * targets) * neg_log_sigmoid
    return {"mean": loss.mean, "sum": loss.sum}.get(reduction, lambda: loss)()
''')),
    # ---------------------------------------------------------------- Part C
    Alternative("alt_confusion_matrix_loop", ("confusion_matrix", "accuracy"), rewrite('''
def accuracy(preds, targets):
    if preds.shape != targets.shape or preds.numel() == 0:
        raise ValueError("need two non-empty tensors of the same shape")
    return (preds == targets).float().mean().item()
''', '''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    # (on the input's device: the GPU-input check)
    matrix = torch.zeros(num_classes, num_classes, dtype=torch.long, device=preds.device)
    for t, p in zip(targets.tolist(), preds.tolist()):
        matrix[t, p] += 1
    return matrix
''')),
    Alternative("alt_confusion_matrix_one_hot", ("confusion_matrix",), rewrite('''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    # (in float64: a GPU has no integer matrix product, see mutant_confusion_matrix_int_matmul)
    rows = F.one_hot(targets.long(), num_classes).double()
    cols = F.one_hot(preds.long(), num_classes).double()
    return (rows.T @ cols).to(torch.int64)
''')),
    Alternative("alt_prf_via_confusion_matrix", ("precision_recall_f1", "macro_f1"), rewrite('''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    binary_preds = (preds == positive_class).long()
    binary_targets = (targets == positive_class).long()
    m = confusion_matrix(binary_preds, binary_targets, 2)
    tp, fp, fn = int(m[1, 1]), int(m[0, 1]), int(m[1, 0])
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
''', '''
def macro_f1(preds, targets, num_classes):
    scores = [precision_recall_f1(preds, targets, c)[2] for c in range(num_classes)]
    return sum(scores) / num_classes
''')),
    Alternative("alt_metrics_float32_tensors", ("precision_recall_f1", "macro_f1"), rewrite('''
def precision_recall_f1(preds, targets, positive_class=1):
    predicted, actual = preds == positive_class, targets == positive_class
    tp = (predicted & actual).sum()
    fp = (predicted & ~actual).sum()
    fn = (~predicted & actual).sum()
    precision = (tp / (tp + fp)).item() if tp + fp > 0 else 0.0
    recall = (tp / (tp + fn)).item() if tp + fn > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1
''', '''
def macro_f1(preds, targets, num_classes):
    m = confusion_matrix(preds, targets, num_classes).float()
    tp = m.diagonal()
    denominator = m.sum(dim=0) + m.sum(dim=1)
    f1 = torch.where(denominator > 0, 2 * tp / denominator.clamp(min=1), torch.zeros_like(tp))
    return f1.mean().item()
''')),
    # ---------------------------------------------------------------- Part D
    Alternative("alt_classifier_module_class", ("build_classifier",), replace("build_classifier", '''
class _MLP(nn.Module):
    def __init__(self, a, b, c):
        super().__init__()
        self.fc1 = nn.Linear(a, b)
        self.fc2 = nn.Linear(b, c)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def build_classifier(in_features, hidden, num_classes):
    return _MLP(in_features, hidden, num_classes)
''')),
    Alternative("alt_training_model_zero_grad_inference_mode", ("train_one_epoch", "evaluate"),
                rewrite('''
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    seen, running = 0, 0.0
    for batch in loader:
        inputs, labels = (t.to(device) for t in batch)
        model.zero_grad(set_to_none=False)
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        running += float(loss.detach()) * len(labels)
        seen += len(labels)
    return running / seen
''', '''
@torch.inference_mode()
def evaluate(model, loader, loss_fn, device):
    model.eval()
    losses, hits, count = [], 0, 0
    for x, y in loader:
        x = x.to(device)
        y = y.to(device)
        out = model(x)
        losses.append(loss_fn(out, y).item() * len(y))
        hits += (out.argmax(1) == y).sum().item()
        count += len(y)
    return {"loss": sum(losses) / count, "accuracy": hits / count}
''')),
    Alternative("alt_training_sum_then_divide", ("train_one_epoch", "evaluate", "fit"), rewrite('''
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    summed = torch.zeros((), device=device)
    count = 0
    for x, y in loader:
        x = x.to(device)
        y = y.to(device)
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = loss_fn(logits, y)
        loss.backward()
        optimizer.step()
        summed += loss.detach() * y.shape[0]
        count += y.shape[0]
    return (summed / count).item()
''', '''
def evaluate(model, loader, loss_fn, device):
    model.eval()
    loss_sum, correct, count = 0.0, 0, 0
    with torch.set_grad_enabled(False):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss_sum += float(loss_fn(logits, y)) * len(x)
            correct += int(torch.sum(torch.argmax(logits, dim=1) == y))
            count += len(x)
    return {"loss": loss_sum / count, "accuracy": correct / count}
''', '''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for _epoch in range(epochs):
        train_loss = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
        val = evaluate(model, val_loader, loss_fn, device)
        for key, value in (("train_loss", train_loss), ("val_loss", val["loss"]),
                           ("val_accuracy", val["accuracy"])):
            history[key].append(float(value))
    return history
''')),
    Alternative("alt_evaluate_no_grad_decorator_get_device_if", ("evaluate", "get_device"),
                rewrite('''
@torch.no_grad()
def evaluate(model, loader, loss_fn, device):
    model.eval()
    total, correct, n = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        total += loss_fn(logits, y).item() * x.size(0)
        correct += (logits.argmax(dim=-1) == y).sum().item()
        n += x.size(0)
    return {"loss": total / n, "accuracy": correct / n}
''', '''
def get_device():
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")
''')),

    # ---------------------------------------------------------------- issue 14: once penalised
    # Correct code whose *text* used to cost points: the verdicts now rest on the run.
    Alternative("alt_train_docstring_mentions_cuda_non_blocking", ("train_one_epoch",),
                rewrite('''
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """One epoch on `device` (cpu or cuda). On CUDA, pinned batches copy asynchronously.

    Never calls F.cross_entropy or torch.softmax itself: loss_fn does the work.
    """
    model.train()
    asynchronous = torch.device(device).type == "cuda"  # non_blocking only helps on cuda
    total_loss, total_samples = 0.0, 0
    for x, y in loader:
        x = x.to(device, non_blocking=asynchronous)
        y = y.to(device, non_blocking=asynchronous)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * x.shape[0]
        total_samples += x.shape[0]
    return total_loss / total_samples
''')),
    Alternative("alt_evaluate_no_grad_in_helper_cuda_comment", ("evaluate",), replace("evaluate", '''
@torch.no_grad()
def _scores(model, x, y, loss_fn):
    # the forward runs here, without gradients (works the same on "cuda" and "cpu")
    logits = model(x)
    return loss_fn(logits, y).item(), (logits.argmax(dim=1) == y).sum().item()


def evaluate(model, loader, loss_fn, device):
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        batch_loss, batch_correct = _scores(model, x, y, loss_fn)
        total_loss += batch_loss * len(y)
        correct += batch_correct
        seen += len(y)
    return {"loss": total_loss / seen, "accuracy": correct / seen}
''')),
    Alternative("alt_evaluate_calls_forward_directly", ("evaluate",), rewrite('''
def evaluate(model, loader, loss_fn, device):
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with torch.inference_mode():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model.forward(x)
            total_loss += float(loss_fn(logits, y)) * len(y)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
    return {"loss": total_loss / seen, "accuracy": correct / seen}
''')),
    Alternative("alt_fit_inlined_loops", ("fit",), rewrite('''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):
    # Written out in full, without calling the other two functions by name.
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for _ in range(epochs):
        model.train()
        total, count = 0.0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
            count += len(x)
        history["train_loss"].append(total / count)
        model.eval()
        total, correct, count = 0.0, 0, 0
        with torch.no_grad():
            for x, y in val_loader:
                x, y = x.to(device), y.to(device)
                logits = model(x)
                total += loss_fn(logits, y).item() * len(x)
                correct += (logits.argmax(1) == y).sum().item()
                count += len(x)
        history["val_loss"].append(total / count)
        history["val_accuracy"].append(correct / count)
    return history
''')),
    Alternative("alt_accuracy_float32_mean", ("accuracy",), rewrite('''
def accuracy(preds, targets):
    if preds.shape != targets.shape:
        raise ValueError(f"shapes differ: {tuple(preds.shape)} vs {tuple(targets.shape)}")
    if preds.numel() == 0:
        raise ValueError("accuracy of an empty set is undefined")
    return (preds == targets).float().mean().item()
''')),
    Alternative("alt_softmax_docstring_names_library", ("softmax", "log_softmax"), rewrite('''
def softmax(logits, dim=-1):
    """Like torch.softmax / F.softmax(logits, dim), but written by hand.

    Not F.log_softmax, not nn.Softmax, not torch.logsumexp: exp(x - max) / sum.
    """
    shifted = logits - logits.max(dim=dim, keepdim=True).values
    e = shifted.exp()  # F.softmax would do this for us
    return e / e.sum(dim=dim, keepdim=True)
''', '''
def log_softmax(logits, dim=-1):
    """Same as F.log_softmax, which we may not call."""
    shifted = logits - logits.max(dim=dim, keepdim=True).values
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()
''')),
    Alternative("alt_ce_dead_branch_names_library", ("cross_entropy",), edit(
        "cross_entropy", "    log_probs = log_softmax(logits, dim=1)",
        "    if reduction == \"library\":  # unreachable: _check_reduction rejected it\n"
        "        return torch.nn.functional.cross_entropy(logits, targets)\n"
        "    log_probs = log_softmax(logits, dim=1)")),
]

# Issue 15: a kink may take any value of the subdifferential (torch.where gives -1 at d = 0).
ALTERNATIVES += [
    Alternative("alt_mae_torch_where_sign", ("mae_loss",), rewrite('''
def mae_loss(pred, target, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    d = pred - target
    return _reduce(torch.where(d > 0, d, -d), reduction)
''')),
    # backward through the functional API: the backward recorder must see it reach the model
    # PyTorch's keyword names for a loss's arguments
    Alternative("alt_train_loss_keywords", ("train_one_epoch", "evaluate"), chain(
        edit("train_one_epoch", "loss = loss_fn(logits, y)", "loss = loss_fn(input=logits, target=y)"),
        edit("evaluate", "loss_fn(logits, y).item()", "loss_fn(input=logits, target=y).item()"))),
    Alternative("alt_train_functional_backward", ("train_one_epoch",), edit(
        "train_one_epoch", "loss.backward()", "torch.autograd.backward([loss])")),
]

# Round 28 (fresh eyes): styles written without looking at the checks.
ALTERNATIVES += [
    Alternative("alt_r28_mse_dict_dispatch_size", ("mse_loss",), rewrite('''
def mse_loss(pred, target, reduction="mean"):
    if pred.size() != target.size():
        raise ValueError(f"size mismatch: {pred.size()} vs {target.size()}")
    sq = torch.square(pred - target)
    ops = {"mean": torch.mean, "sum": torch.sum, "none": lambda t: t}
    if reduction not in ops:
        raise ValueError("bad reduction")
    return ops[reduction](sq)
''')),
    Alternative("alt_r28_huber_clamp_split", ("huber_loss",), rewrite('''
def huber_loss(pred, target, delta=1.0, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    if delta <= 0:
        raise ValueError("delta must be positive")
    a = torch.abs(pred - target)
    q = torch.clamp(a, max=delta)
    return _reduce(0.5 * q ** 2 + delta * (a - q), reduction)
''')),
    Alternative("alt_r28_softmax_max_values", ("softmax", "log_softmax"), rewrite('''
def softmax(logits, dim=-1):
    m = torch.max(logits, dim=dim, keepdim=True)[0]
    e = torch.exp(logits - m)
    return e / torch.sum(e, dim=dim, keepdim=True)
''', '''
def log_softmax(logits, dim=-1):
    m = torch.max(logits, dim=dim, keepdim=True).values
    return logits - m - torch.log(torch.sum(torch.exp(logits - m), dim=dim, keepdim=True))
''')),
    Alternative("alt_r28_ce_arange_index", ("cross_entropy",), rewrite('''
def cross_entropy(logits, targets, reduction="mean"):
    if reduction not in ["mean", "sum", "none"]:
        raise ValueError("reduction must be mean, sum or none")
    if logits.dim() != 2 or targets.dim() != 1 or len(targets) != len(logits):
        raise ValueError("logits must be (N, C) and targets (N,)")
    n, c = logits.shape
    if (targets < 0).any() or (targets >= c).any():
        raise ValueError("target out of range")
    logp = log_softmax(logits, dim=1)
    losses = -logp[torch.arange(n), targets]
    if reduction == "mean":
        return losses.mean()
    elif reduction == "sum":
        return losses.sum()
    return losses
''')),
    Alternative("alt_r28_bcel_softplus", ("binary_cross_entropy_with_logits",), rewrite('''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    w = 1.0 if pos_weight is None else 1.0 + (pos_weight - 1.0) * targets
    loss = (1.0 - targets) * logits + w * F.softplus(-logits)
    return _reduce(loss, reduction)
''')),
    Alternative("alt_r28_confusion_index_put", ("confusion_matrix",), rewrite('''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError("shape mismatch")
    m = torch.zeros((num_classes, num_classes), dtype=torch.int64, device=preds.device)
    ones = torch.ones(preds.numel(), dtype=torch.int64, device=preds.device)
    m.index_put_((targets.reshape(-1).long(), preds.reshape(-1).long()), ones, accumulate=True)
    return m
''')),
    Alternative("alt_r28_prf_harmonic", ("precision_recall_f1",), rewrite('''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shape mismatch")
    tp = ((preds == positive_class) & (targets == positive_class)).sum().item()
    fp = ((preds == positive_class) & (targets != positive_class)).sum().item()
    fn = ((preds != positive_class) & (targets == positive_class)).sum().item()
    p = tp / (tp + fp) if tp + fp > 0 else 0.0
    r = tp / (tp + fn) if tp + fn > 0 else 0.0
    f = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return float(p), float(r), float(f)
''')),
    Alternative("alt_r28_macro_f1_tensor_mean", ("macro_f1",), rewrite('''
def macro_f1(preds, targets, num_classes):
    scores = []
    for k in range(num_classes):
        _, _, f = precision_recall_f1(preds, targets, positive_class=k)
        scores.append(f)
    return torch.tensor(scores).mean().item()
''')),
    Alternative("alt_r28_accuracy_numpy", ("accuracy",), rewrite('''
def accuracy(preds, targets):
    if preds.shape != targets.shape or preds.numel() == 0:
        raise ValueError("need two non-empty tensors of one shape")
    import numpy as np
    return float(np.mean(preds.cpu().numpy() == targets.cpu().numpy()))
''')),
    Alternative("alt_r28_classifier_ordereddict", ("build_classifier",), rewrite('''
def build_classifier(in_features, hidden, num_classes):
    from collections import OrderedDict
    return nn.Sequential(OrderedDict([
        ("fc1", nn.Linear(in_features, hidden)),
        ("relu", nn.ReLU()),
        ("fc2", nn.Linear(hidden, num_classes)),
    ]))
''')),
    Alternative("alt_r28_train_zero_grad_after_step", ("train_one_epoch",), rewrite('''
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    optimizer.zero_grad()
    seen, total = 0, 0.0
    for batch in loader:
        inputs, labels = batch[0].to(device), batch[1].to(device)
        out = model(inputs)
        loss = loss_fn(out, labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        total += loss.detach().item() * labels.size(0)
        seen += labels.size(0)
    return total / seen
''')),
    Alternative("alt_r28_evaluate_torch_max", ("evaluate",), rewrite('''
def evaluate(model, loader, loss_fn, device):
    model.eval()
    n, loss_sum, hits = 0, 0.0, 0
    with torch.no_grad():
        for i, (xb, yb) in enumerate(loader):
            xb = xb.to(device)
            yb = yb.to(device)
            out = model(xb)
            loss_sum += float(loss_fn(out, yb)) * len(yb)
            _, predicted = torch.max(out, 1)
            hits += (predicted == yb).sum().item()
            n += len(yb)
    return {"loss": loss_sum / n, "accuracy": hits / n}
''')),
    Alternative("alt_r28_fit_defaultdict", ("fit",), rewrite('''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):
    from collections import defaultdict
    history = defaultdict(list)
    for epoch in range(epochs):
        history["train_loss"].append(train_one_epoch(model, train_loader, loss_fn, optimizer, device))
        result = evaluate(model, val_loader, loss_fn, device)
        history["val_loss"].append(result["loss"])
        history["val_accuracy"].append(result["accuracy"])
    return history
''')),
    Alternative("alt_r28_get_device_two_branches", ("get_device",), rewrite('''
def get_device():
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")
''')),
]

# Round 28 (fresh eyes, continued): library helpers, modes restored, progress printed,
# sklearn for metrics, torch.logsumexp inside cross_entropy (forbidden only in softmax).
ALTERNATIVES += [
    Alternative("alt_r28_ce_torch_logsumexp", ("cross_entropy",), rewrite('''
def cross_entropy(logits, targets, reduction="mean"):
    _check_reduction(reduction)
    if logits.ndim != 2 or targets.ndim != 1 or logits.shape[0] != targets.shape[0]:
        raise ValueError("bad shapes")
    if targets.numel() and (targets.min() < 0 or targets.max() >= logits.shape[1]):
        raise ValueError("targets out of range")
    nll = torch.logsumexp(logits, dim=1) - logits.gather(1, targets.view(-1, 1)).view(-1)
    return _reduce(nll, reduction)
''')),
    Alternative("alt_r28_prf_sklearn", (), rewrite('''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shape mismatch")
    from sklearn.metrics import precision_recall_fscore_support
    y_true = (targets == positive_class).cpu().numpy().astype(int)
    y_pred = (preds == positive_class).cpu().numpy().astype(int)
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", pos_label=1,
                                                 zero_division=0)
    return float(p), float(r), float(f)
''')),
    Alternative("alt_r28_macro_f1_sklearn", (), rewrite('''
def macro_f1(preds, targets, num_classes):
    from sklearn.metrics import f1_score
    return float(f1_score(targets.cpu().numpy(), preds.cpu().numpy(), average="macro",
                          labels=list(range(num_classes)), zero_division=0))
''')),
    Alternative("alt_r28_classifier_flatten_first", ("build_classifier",), rewrite('''
def build_classifier(in_features, hidden, num_classes):
    return nn.Sequential(nn.Flatten(), nn.Linear(in_features, hidden), nn.ReLU(),
                         nn.Linear(hidden, num_classes))
''')),
    Alternative("alt_r28_train_divides_by_dataset_len_moves_model", ("train_one_epoch",), rewrite('''
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.to(device)
    model.train()
    running_loss = 0.0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad(set_to_none=True)
        outputs = model(inputs)
        loss = loss_fn(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * inputs.size(0)
    return running_loss / len(loader.dataset)
''')),
    Alternative("alt_r28_fit_prints_progress", ("fit",), rewrite('''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    model.to(device)
    for epoch in range(1, epochs + 1):
        tl = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
        vm = evaluate(model, val_loader, loss_fn, device)
        history["train_loss"].append(tl)
        history["val_loss"].append(vm["loss"])
        history["val_accuracy"].append(vm["accuracy"])
        print(f"epoch {epoch}/{epochs}: train {tl:.4f} val {vm['loss']:.4f} acc {vm['accuracy']:.3f}")
    return history
''')),
    Alternative("alt_r28_evaluate_set_grad_enabled", ("evaluate",), rewrite('''
def evaluate(model, loader, loss_fn, device):
    model.eval()
    losses, correct, count = 0.0, 0, 0
    with torch.set_grad_enabled(False):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = model(x)
            losses += loss_fn(out, y).item() * y.numel()
            correct += (out.argmax(-1) == y).float().sum().item()
            count += y.numel()
    return {"loss": losses / count, "accuracy": correct / count}
''')),
    # fresh eyes 26: a key of its own beside loss and accuracy passes grading, and failed the
    # public self-check (a self-check that contradicted the grade)
    Alternative("alt_fe26_evaluate_extra_key", ("evaluate",), rewrite('''
def evaluate(model, loader, loss_fn, device):
    model.eval()
    loss_sum, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss_sum += loss_fn(logits, y).item() * y.shape[0]
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += y.shape[0]
    return {"loss": loss_sum / seen, "accuracy": correct / seen, "num_samples": seen}
''')),
    Alternative("alt_r28_bcel_two_logsigmoids", ("binary_cross_entropy_with_logits",), rewrite('''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    pw = 1.0 if pos_weight is None else pos_weight
    loss = -(pw * targets * F.logsigmoid(logits) + (1 - targets) * F.logsigmoid(-logits))
    return _reduce(loss, reduction)
''')),
    Alternative("alt_r28_bce_clamp_probs_tiny", ("binary_cross_entropy",), rewrite('''
def binary_cross_entropy(probs, targets, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(probs, targets)
    log_p = torch.log(probs.clamp(min=1e-44)).clamp(min=-100)
    log_q = torch.log((1 - probs).clamp(min=1e-44)).clamp(min=-100)
    return _reduce(-(targets * log_p + (1 - targets) * log_q), reduction)
''')),
    Alternative("alt_r28_classifier_inplace_relu", ("build_classifier",), rewrite('''
def build_classifier(in_features, hidden, num_classes):
    return nn.Sequential(nn.Linear(in_features, hidden, bias=True), nn.ReLU(inplace=True),
                         nn.Linear(hidden, num_classes))
''')),
    Alternative("alt_r28_evaluate_restores_train_mode", ("evaluate",), rewrite('''
def evaluate(model, loader, loss_fn, device):
    was_training = model.training
    model.eval()
    total_loss, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * len(y)
            correct += (logits.argmax(1) == y).sum()
            n += len(y)
    model.train(was_training)
    return {"loss": total_loss / n, "accuracy": correct.item() / n}
''')),
    Alternative("alt_r28_macro_f1_nan_to_num", (), rewrite('''
def macro_f1(preds, targets, num_classes):
    m = confusion_matrix(preds, targets, num_classes)
    tp = m.diag()
    fp = m.sum(0) - tp
    fn = m.sum(1) - tp
    f1 = torch.nan_to_num(2 * tp / (2 * tp + fp + fn), nan=0.0)
    return f1.mean().item()
''')),
    Alternative("alt_r28_fit_sets_modes", ("fit",), rewrite('''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):
    out = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    for _ in range(epochs):
        model.train()
        out["train_loss"].append(float(train_one_epoch(model, train_loader, loss_fn, optimizer, device)))
        model.eval()
        r = evaluate(model, val_loader, loss_fn, device)
        out["val_loss"].append(float(r["loss"]))
        out["val_accuracy"].append(float(r["accuracy"]))
    return out
''')),
    Alternative("alt_r28_evaluate_train_false", ("evaluate",),
                edit("evaluate", "model.eval()", "model.train(False)")),
    Alternative("alt_r28_get_device_cuda_index0", ("get_device",), rewrite('''
def get_device():
    return torch.device("cuda:0") if torch.cuda.is_available() else torch.device("cpu")
''')),
]

# Round 28, last batch: dict dispatch of reductions, type_as masks, masked_fill, nested
# loops, non_blocking moves, the model moved inside evaluate, a boolean one-hot mask.
ALTERNATIVES += [
    Alternative("alt_r28_mae_l1_via_norm", ("mae_loss",), rewrite('''
def mae_loss(pred, target, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction)
    if pred.shape != target.shape:
        raise ValueError(f"{pred.shape} != {target.shape}")
    diff = (pred - target).abs()
    return {"mean": diff.mean, "sum": diff.sum}.get(reduction, lambda: diff)()
''')),
    Alternative("alt_r28_huber_two_masks_float", ("huber_loss",), rewrite('''
def huber_loss(pred, target, delta=1.0, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    if delta <= 0:
        raise ValueError("delta")
    d = pred - target
    a = d.abs()
    inside = (a < delta).type_as(d)
    out = inside * 0.5 * d.pow(2) + (1.0 - inside) * (delta * a - 0.5 * delta * delta)
    return _reduce(out, reduction)
''')),
    Alternative("alt_r28_softmax_exp_normalise_keepdim_sum", ("softmax",), rewrite('''
def softmax(logits, dim=-1):
    z = logits - logits.max(dim, keepdim=True)[0]
    z = z.exp()
    return z / z.sum(dim=dim, keepdim=True)
''')),
    Alternative("alt_r28_bce_where_then_clamp", ("binary_cross_entropy",), rewrite('''
def binary_cross_entropy(probs, targets, reduction="mean"):
    _check_reduction(reduction)
    if probs.shape != targets.shape:
        raise ValueError("shape mismatch")
    one = torch.ones_like(probs)
    log_p = torch.log(torch.where(probs > 0, probs, one)).masked_fill(probs <= 0, -100.0).clamp(min=-100)
    log_q = torch.log(torch.where(probs < 1, 1 - probs, one)).masked_fill(probs >= 1, -100.0).clamp(min=-100)
    return _reduce(-(targets * log_p + (1 - targets) * log_q), reduction)
''')),
    Alternative("alt_r28_accuracy_sum_item_over_len", ("accuracy",), rewrite('''
def accuracy(preds, targets):
    if preds.shape != targets.shape:
        raise ValueError("shape")
    if len(preds) == 0:
        raise ValueError("empty")
    return torch.sum(preds == targets).item() / len(targets)
''')),
    Alternative("alt_r28_confusion_nested_loops_sum", ("confusion_matrix",), rewrite('''
def confusion_matrix(preds, targets, num_classes):
    if preds.shape != targets.shape:
        raise ValueError("shape")
    m = torch.zeros(num_classes, num_classes, dtype=torch.long, device=preds.device)
    for i in range(num_classes):
        for j in range(num_classes):
            m[i, j] = ((targets == i) & (preds == j)).sum()
    return m
''')),
    Alternative("alt_r28_train_non_blocking_to", ("train_one_epoch",), edit(
        "train_one_epoch", "x, y = x.to(device), y.to(device)",
        "x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)")),
    Alternative("alt_r28_evaluate_moves_model_and_uses_size0", ("evaluate",), rewrite('''
def evaluate(model, loader, loss_fn, device):
    model.to(device)
    model.eval()
    n, loss_sum, hits = 0, 0.0, 0
    with torch.no_grad():
        for batch in loader:
            inputs, labels = (t.to(device) for t in batch)
            outputs = model(inputs)
            loss_sum += loss_fn(outputs, labels).item() * labels.size(0)
            hits += outputs.argmax(dim=-1).eq(labels).sum().item()
            n += labels.size(0)
    return dict(loss=loss_sum / n, accuracy=hits / n)
''')),
    Alternative("alt_r28_get_device_cuda_string_device", ("get_device",), rewrite('''
def get_device():
    name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)
''')),
    Alternative("alt_r28_ce_neg_sum_onehot_mask", ("cross_entropy",), rewrite('''
def cross_entropy(logits, targets, reduction="mean"):
    _check_reduction(reduction)
    if logits.dim() != 2 or targets.dim() != 1 or logits.size(0) != targets.size(0):
        raise ValueError("bad shapes")
    if targets.numel() and (targets.min() < 0 or targets.max() >= logits.size(1)):
        raise ValueError("bad targets")
    logp = log_softmax(logits, dim=1)
    mask = torch.zeros_like(logp, dtype=torch.bool)
    mask[torch.arange(len(targets)), targets] = True
    nll = -(logp * mask).sum(dim=1)
    return _reduce(nll, reduction)
''')),
    # a device tensor read on the host the usual ways (`.cpu()`, `.tolist()`, numpy)
    Alternative("alt_r29_train_loss_detach_cpu", ("train_one_epoch",), rewrite('''
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, n = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.detach().cpu() * len(y)
        n += len(y)
    return float(total / n)
''')),
    Alternative("alt_r29_eval_preds_cpu_cat", ("evaluate",), rewrite('''
def evaluate(model, loader, loss_fn, device):
    model.eval()
    tot, n = 0.0, 0
    preds, ys = [], []
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = model(x)
            tot += loss_fn(out, y).item() * len(y)
            n += len(y)
            preds.append(out.argmax(dim=1).cpu())
            ys.append(y.cpu())
    correct = (torch.cat(preds) == torch.cat(ys)).sum().item()
    return {"loss": tot / n, "accuracy": correct / n}
''')),
    Alternative("alt_r29_eval_tolist_and_numpy", ("evaluate",), rewrite('''
def evaluate(model, loader, loss_fn, device):
    model.eval()
    tot, cor, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = model(x)
            tot += float(loss_fn(out, y).to("cpu")) * len(y)
            labels = y.tolist()
            cor += int((out.argmax(1).cpu().numpy() == labels).sum())
            n += len(labels)
    return {"loss": tot / n, "accuracy": cor / n}
''')),
    Alternative("alt_r29_get_device_device_count", ("get_device",), rewrite('''
def get_device():
    return torch.device("cuda") if torch.cuda.device_count() > 0 else torch.device("cpu")
''')),
    Alternative("alt_r29_fit_logs_learning_rate_too", ("fit",), rewrite('''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device):
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "lr": []}
    for _ in range(epochs):
        history["train_loss"].append(
            train_one_epoch(model, train_loader, loss_fn, optimizer, device))
        scores = evaluate(model, val_loader, loss_fn, device)
        history["val_loss"].append(scores["loss"])
        history["val_accuracy"].append(scores["accuracy"])
        history["lr"].append(float(optimizer.param_groups[0]["lr"]))
    return history
''')),
    # errors of the student's own classes, subclasses of the ValueError asked for
    Alternative("alt_r29_valueerror_subclasses", ("mse_loss", "accuracy"), rewrite('''
class ShapeMismatchError(ValueError):
    """pred and target differ in shape."""


def mse_loss(pred, target, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ShapeMismatchError(f"unknown reduction {reduction!r}")
    if pred.shape != target.shape:
        raise ShapeMismatchError(f"{tuple(pred.shape)} != {tuple(target.shape)}")
    return _reduce((pred - target) ** 2, reduction)
''', '''
def accuracy(preds, targets):
    class EmptyInput(ValueError):
        pass
    if preds.shape != targets.shape or preds.numel() == 0:
        raise EmptyInput("need two non-empty tensors of one shape")
    return (preds == targets).sum().item() / preds.numel()
''')),
    # the library's elementwise pieces of another loss inside Huber: not Huber's library call
    Alternative("alt_r29_huber_from_mse_and_l1_pieces", ("huber_loss",), rewrite('''
def huber_loss(pred, target, delta=1.0, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    if delta <= 0:
        raise ValueError("delta must be > 0")
    sq = F.mse_loss(pred, target, reduction="none")
    ab = F.l1_loss(pred, target, reduction="none")
    return _reduce(torch.where(ab < delta, 0.5 * sq, delta * (ab - 0.5 * delta)), reduction)
''')),
]
ALTERNATIVES += [  # round 30: correct compositions over the student's own earlier functions
    Alternative("alt_r30_macro_f1_via_own_prf", ("macro_f1",), rewrite('''
def macro_f1(preds, targets, num_classes):
    scores = [precision_recall_f1(preds, targets, positive_class=c)[2]
              for c in range(num_classes)]
    return sum(scores) / num_classes
''')),
    Alternative("alt_r30_evaluate_via_own_accuracy", ("evaluate",), rewrite('''
def evaluate(model, loader, loss_fn, device):
    model.eval()
    total_loss, total, preds, labels = 0.0, 0, [], []
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * len(y)
            preds.append(logits.argmax(dim=1))
            labels.append(y)
            total += len(y)
    return {"loss": total_loss / total, "accuracy": accuracy(torch.cat(preds), torch.cat(labels))}
''')),
    Alternative("alt_r30_evaluate_batch_accuracy_weighted", ("evaluate",), rewrite('''
def evaluate(model, loader, loss_fn, device):
    model.eval()
    total_loss, total_acc, total = 0.0, 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * len(y)
            total_acc += accuracy(logits.argmax(dim=1), y) * len(y)
            total += len(y)
    return {"loss": total_loss / total, "accuracy": total_acc / total}
''')),
    Alternative("alt_r30_huber_via_own_mse_mae", ("huber_loss",), rewrite('''
def huber_loss(pred, target, delta=1.0, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    if delta <= 0:
        raise ValueError("delta must be > 0")
    squared = mse_loss(pred, target, reduction="none")
    absolute = mae_loss(pred, target, reduction="none")
    values = torch.where(absolute < delta, 0.5 * squared, delta * (absolute - 0.5 * delta))
    return _reduce(values, reduction)
''')),
    Alternative("alt_r30_prf_via_own_matrix_of_labels", ("precision_recall_f1",), rewrite('''
def precision_recall_f1(preds, targets, positive_class=1):
    if preds.shape != targets.shape:
        raise ValueError("shapes differ")
    classes = int(max(int(preds.max()), int(targets.max()), positive_class)) + 1
    matrix = confusion_matrix(preds, targets, classes)
    tp = int(matrix[positive_class, positive_class])
    fp = int(matrix[:, positive_class].sum()) - tp
    fn = int(matrix[positive_class, :].sum()) - tp
    return _safe_ratio(tp, tp + fp), _safe_ratio(tp, tp + fn), _safe_ratio(2 * tp, 2 * tp + fp + fn)
''')),
]
ALTERNATIVES += [  # round 31: stable BCE-with-logits forms that are right at a logit of 0
    Alternative("alt_r31_bcel_where_branches", ("binary_cross_entropy_with_logits",), rewrite('''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    # -log(sigmoid(x)) as two branches, each evaluated where it cannot overflow
    pos = torch.log1p(torch.exp(-logits.clamp(min=0)))
    neg = -logits.clamp(max=0) + torch.log1p(torch.exp(logits.clamp(max=0)))
    neg_log_sigmoid = torch.where(logits >= 0, pos, neg)
    w = 1.0 if pos_weight is None else 1.0 + (pos_weight - 1.0) * targets
    return _reduce((1.0 - targets) * logits + w * neg_log_sigmoid, reduction)
''')),
    Alternative("alt_r31_bcel_logaddexp", ("binary_cross_entropy_with_logits",), rewrite('''
def binary_cross_entropy_with_logits(logits, targets, pos_weight=None, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(logits, targets)
    zeros = torch.zeros_like(logits)
    log_p = -torch.logaddexp(zeros, -logits)      # log sigmoid(x)
    log_1mp = -torch.logaddexp(zeros, logits)     # log (1 - sigmoid(x))
    w = 1.0 if pos_weight is None else pos_weight
    return _reduce(-(w * targets * log_p + (1 - targets) * log_1mp), reduction)
''')),
    Alternative("alt_r31_fit_train_each_epoch_inline", ("fit",), rewrite(FIT_TRAIN_EACH_EPOCH)),
    # the loss switched to eval/train mode with the model (an nn.Module's own machinery, not
    # the scenario's instruments: was flagged as tampering for a while)
    Alternative("alt_r31_loss_fn_modes_follow_the_model", ("evaluate", "train_one_epoch"),
                chain(edit("evaluate", "    model.eval()\n",
                           "    model.eval()\n"
                           "    if isinstance(loss_fn, nn.Module):\n        loss_fn.eval()\n"),
                      edit("train_one_epoch", "    model.train()\n",
                           "    model.train()\n"
                           "    if isinstance(loss_fn, nn.Module):\n        loss_fn.train()\n"))),
]

# fe5: Huber written with min/max/relu/clamp: at |d| = delta exactly their ties give a
# gradient anywhere from 0 to 2·delta (0.5·delta for minimum + relu, 2·delta for two
# inclusive clamps), all accepted there (the notebook's rule); PyTorch's everywhere else.
# And the notebook's BCE hint, verbatim (tests/check/test_fe5_grading.py proves the same).
ALTERNATIVES += [
    Alternative("alt_fe5_huber_minimum_relu", ("huber_loss",), rewrite('''
def huber_loss(pred, target, delta=1.0, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    if delta <= 0:
        raise ValueError("delta must be strictly positive")
    a = torch.abs(pred - target)
    m = torch.minimum(a, torch.full_like(a, delta))
    return _reduce(0.5 * m ** 2 + delta * F.relu(a - delta), reduction)
''')),
    Alternative("alt_fe5_huber_two_clamps", ("huber_loss",), rewrite('''
def huber_loss(pred, target, delta=1.0, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    if delta <= 0:
        raise ValueError("delta must be > 0")
    a = (pred - target).abs()
    inner = torch.clamp(a, max=delta)
    outer = torch.clamp(a - delta, min=0.0)
    return _reduce(0.5 * inner ** 2 + delta * outer, reduction)
''')),
    Alternative("alt_fe5_huber_maximum", ("huber_loss",), rewrite('''
def huber_loss(pred, target, delta=1.0, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(pred, target)
    if delta <= 0:
        raise ValueError("delta must be positive")
    a = (pred - target).abs()
    cap = torch.full_like(a, delta)
    small = torch.minimum(a, cap)
    excess = torch.maximum(a, cap) - delta
    return _reduce(0.5 * small * small + delta * excess, reduction)
''')),
    Alternative("alt_fe5_bce_notebook_hint", ("binary_cross_entropy",), rewrite('''
def binary_cross_entropy(probs, targets, reduction="mean"):
    _check_reduction(reduction)
    _check_same_shape(probs, targets)
    p = probs
    log_p = torch.where(p > 0, torch.log(torch.where(p > 0, p, 1)), -100.).clamp(min=-100)
    p = 1 - probs
    log_q = torch.where(p > 0, torch.log(torch.where(p > 0, p, 1)), -100.).clamp(min=-100)
    return _reduce(-(targets * log_p + (1 - targets) * log_q), reduction)
''')),
]

ALTERNATIVES += DEVICE_ALTERNATIVES  # (tensors made on the input's device)
