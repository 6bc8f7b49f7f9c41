"""A right train_one_epoch and evaluate, as notebook cells: a fixture loop is one edit of
them (`edited`), named for its scenario where it is used."""

from __future__ import annotations

TRAIN = '''
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, n = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * x.shape[0]
        n += x.shape[0]
    return total / n
'''
EVALUATE = '''
def evaluate(model, loader, loss_fn, device):
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item() * x.shape[0]
            correct += (logits.argmax(dim=1) == y).sum().item()
            n += x.shape[0]
    return {"loss": total / n, "accuracy": correct / n}
'''


def edited(source: str, *changes: tuple[str, str]) -> str:
    for old, new in changes:
        assert old in source, old
        source = source.replace(old, new, 1)
    return source
