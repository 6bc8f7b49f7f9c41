from otter.test_files import test_case

OK_FORMAT = False

name = "macro_f1"
points = None

@test_case(points=None, hidden=False)
def test_macro_f1_per_class_mean(macro_f1, confusion_matrix, precision_recall_f1):
    import math
    import torch
    "tolerances.metric: the grader's own, from grading_config.yaml"
    rtol, atol = 1e-06, 1e-09
    preds = torch.tensor([0, 0, 1, 1, 2, 2])
    targets = torch.tensor([0, 0, 1, 2, 2, 2])
    cases = ((3, (1.0 + 2 / 3 + 0.8) / 3, 'macro_f1: should be the mean of the per-class F1 scores'), (4, (1.0 + 2 / 3 + 0.8 + 0.0) / 4, 'macro_f1: average over all num_classes classes; an absent class has F1 = 0'))

    def yours(num_classes):
        found = []
        try:
            m = confusion_matrix(preds.clone(), targets.clone(), num_classes)
            tp, fp, fn = (m.diagonal(), m.sum(dim=0) - m.diagonal(), m.sum(dim=1) - m.diagonal())
            f1 = [2 * int(t) / (2 * int(t) + int(p) + int(n)) if int(t) else 0.0 for t, p, n in zip(tp, fp, fn, strict=True)]
            found += [sum(f1) / num_classes, sum(f1) / len(f1) if f1 else 0.0]
        except Exception as error:
            found.append(error)
        try:
            found.append(sum((float(precision_recall_f1(preds.clone(), targets.clone(), positive_class=c)[2]) for c in range(num_classes))) / num_classes)
        except Exception as error:
            found.append(error)
        return found

    def explained(num_classes, expected):
        try:
            got = float(macro_f1(preds.clone(), targets.clone(), num_classes=num_classes))
        except Exception as error:
            try:
                m = confusion_matrix(preds.clone(), targets.clone(), num_classes)
                smaller = tuple(m.shape) != (num_classes, num_classes)
            except Exception:
                smaller = False
            return smaller or any((type(own) is type(error) and str(own) == str(error) for own in yours(num_classes)))
        slack = atol + rtol * expected
        return any((not isinstance(own, Exception) and (not abs(own - expected) <= slack) and (abs(got - own) <= slack or (math.isnan(got) and math.isnan(own))) for own in yours(num_classes)))
    for num_classes, expected, message in cases:
        if explained(num_classes, expected):
            continue
        got = macro_f1(preds.clone(), targets.clone(), num_classes=num_classes)
        assert abs(got - expected) <= atol + rtol * expected, message
