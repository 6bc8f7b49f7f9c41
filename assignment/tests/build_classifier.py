from otter.test_files import test_case

OK_FORMAT = False

name = "build_classifier"
points = None

@test_case(points=None, hidden=False)
def test_build_classifier_outputs_logits(build_classifier):
    import torch
    import torch.nn as nn
    model = build_classifier(4, 8, 3)
    assert isinstance(model, nn.Module), 'build_classifier: return an nn.Module'
    out = model(torch.randn(5, 4))
    assert out.shape == (5, 3), 'build_classifier: output shape should be (N, num_classes)'
    for mode in ('train', 'eval'):
        getattr(model, mode)()
        out = model(torch.randn(5, 4))
        assert not ((out >= 0).all() and torch.allclose(out.sum(dim=1), torch.ones(5), atol=0.0001)), f'build_classifier: in {mode} mode the outputs are probabilities (each row sums to 1): remove the final softmax, cross-entropy expects raw logits'
