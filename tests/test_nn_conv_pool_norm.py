"""Convolution, pooling, normalization, resampling and padding layers (issue 12, part 5): the
modules' behaviour the conformance kit cannot express (reprs, parameters, running statistics,
ConvTranspose2d's output_size, containers), on whichever backend this run selects, and the
layers against raw torch where torch is installed."""

from __future__ import annotations

import numpy as np
import pytest

import flowkit as flow

F = flow.nn.functional
nn = flow.nn


def _np(t):
    return t.detach().numpy()


# ------------------------------------------------------------------------------------ modules
def test_conv1d_module_shapes_params_and_grad():
    flow.manual_seed(0)
    conv = nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, bias=True)
    assert tuple(conv.weight.shape) == (6, 2, 3) and tuple(conv.bias.shape) == (6,)
    bound = 1 / np.sqrt(2 * 3)
    assert np.abs(_np(conv.weight)).max() <= bound and np.abs(_np(conv.bias)).max() <= bound
    x = flow.randn(2, 4, 9, requires_grad=True)
    y = conv(x)
    assert tuple(y.shape) == (2, 6, 5)
    y.sum().backward()
    assert tuple(x.grad.shape) == (2, 4, 9) and tuple(conv.weight.grad.shape) == (6, 2, 3)
    assert tuple(conv(flow.randn(4, 9)).shape) == (6, 5)  # unbatched
    assert repr(nn.Conv1d(1, 2, 3, padding="same")) == (
        "Conv1d(1, 2, kernel_size=(3,), stride=(1,), padding='same')"
    )
    with pytest.raises(ValueError, match="strided"):
        nn.Conv1d(1, 2, 3, stride=2, padding="same")


def test_conv_transpose2d_module_output_size_and_inverse_shape():
    flow.manual_seed(0)
    down = nn.Conv2d(3, 5, 3, stride=2, padding=1)
    up = nn.ConvTranspose2d(5, 3, 3, stride=2, padding=1)
    x = flow.randn(1, 3, 8, 7)
    h = down(x)
    assert tuple(up(h).shape) == (1, 3, 7, 7)
    assert tuple(up(h, output_size=x.shape).shape) == (1, 3, 8, 7)
    with pytest.raises(ValueError, match="output size"):
        up(h, output_size=(20, 20))
    assert tuple(up.weight.shape) == (5, 3, 3, 3)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    """<conv2d(x, w), y> == <x, conv_transpose2d(y, w)>, on the numbers of this backend."""
    flow.manual_seed(1)
    x = flow.randn(2, 4, 7, 6, dtype=flow.float64)
    w = flow.randn(6, 2, 3, 2, dtype=flow.float64)
    kw = {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2), "groups": 2}
    y = F.conv2d(x, w, **kw)
    r = flow.randn(*y.shape, dtype=flow.float64)
    back = F.conv_transpose2d(r, w, output_padding=(0, 0), **kw)
    assert tuple(back.shape) == (2, 4, 7, 6)
    assert abs((y * r).sum().item() - (x * back).sum().item()) < 1e-9


def test_pool_modules():
    x = flow.arange(2 * 3 * 6 * 6, dtype=flow.float32).reshape(2, 3, 6, 6)
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert tuple(nn.AvgPool2d(3, 2, 1, ceil_mode=True)(x).shape) == (2, 3, 4, 4)
    assert tuple(nn.AdaptiveAvgPool2d((2, None))(x).shape) == (2, 3, 2, 6)
    assert tuple(nn.AdaptiveMaxPool2d(4)(x).shape) == (2, 3, 4, 4)
    gap = nn.AdaptiveAvgPool2d(1)(x)
    assert np.allclose(_np(gap)[..., 0, 0], _np(x).mean(axis=(2, 3)))
    seq = flow.arange(10, dtype=flow.float32).reshape(1, 1, 10)
    assert _np(nn.MaxPool1d(3, 2)(seq)).tolist() == [[[2.0, 4.0, 6.0, 8.0]]]
    assert _np(nn.AvgPool1d(2)(seq)).tolist() == [[[0.5, 2.5, 4.5, 6.5, 8.5]]]
    assert _np(nn.AdaptiveAvgPool1d(1)(seq)).tolist() == [[[4.5]]]
    with pytest.raises(NotImplementedError):
        nn.AdaptiveMaxPool2d(2, return_indices=True)


def test_avg_pool_count_include_pad_and_divisor():
    x = flow.ones(1, 1, 3, 3)
    inc = F.avg_pool2d(x, 3, 1, 1)
    exc = F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
    assert abs(inc[0, 0, 0, 0].item() - 4 / 9) < 1e-6 and exc[0, 0, 0, 0].item() == 1.0
    assert F.avg_pool2d(x, 3, divisor_override=2)[0, 0, 0, 0].item() == 4.5


def test_group_norm_module():
    gn = nn.GroupNorm(2, 4)
    assert repr(gn) == "GroupNorm(2, 4, eps=1e-05, affine=True)"
    assert [n for n, _ in gn.named_parameters()] == ["weight", "bias"]
    x = flow.randn(3, 4, 5)
    y = _np(gn(x)).reshape(3, 2, -1)
    assert np.allclose(y.mean(axis=2), 0, atol=1e-5) and np.allclose(y.var(axis=2), 1, atol=1e-3)
    assert list(nn.GroupNorm(1, 4, affine=False).parameters()) == []
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)


def test_instance_norm_modules_running_stats():
    norm = nn.InstanceNorm1d(2)
    assert repr(norm) == (
        "InstanceNorm1d(2, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)"
    )
    assert list(norm.state_dict()) == []
    tracked = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)
    assert list(tracked.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    x = flow.randn(4, 3, 5, 5) * 2 + 1
    tracked(x)
    xv = _np(x).reshape(4, 3, -1)
    assert np.allclose(_np(tracked.running_mean), 0.1 * xv.mean(axis=2).mean(axis=0), atol=1e-5)
    expect_var = 0.9 + 0.1 * xv.var(axis=2, ddof=1).mean(axis=0)
    assert np.allclose(_np(tracked.running_var), expect_var, atol=1e-5)
    tracked.eval()  # eval: normalises with the running statistics
    y = tracked(x)
    rm, rv = _np(tracked.running_mean), _np(tracked.running_var)
    expect = (_np(x) - rm[None, :, None, None]) / np.sqrt(rv[None, :, None, None] + 1e-5)
    assert np.allclose(_np(y), expect, atol=1e-5)
    assert tuple(nn.InstanceNorm1d(2)(flow.randn(2, 6)).shape) == (2, 6)  # unbatched
    with pytest.raises(flow.ShapeError):
        nn.InstanceNorm2d(3)(flow.randn(3, 4))


def test_upsample_and_interpolate():
    up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
    assert repr(up) == "Upsample(scale_factor=2.0, mode='bilinear')"
    x = flow.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
    y = _np(up(x))
    assert y.shape == (1, 1, 4, 4) and y[0, 0, 0, 0] == 0 and y[0, 0, -1, -1] == 3
    assert tuple(nn.Upsample(size=(3, 5))(x).shape) == (1, 1, 3, 5)
    with pytest.raises(ValueError, match="exactly one"):
        F.interpolate(x)
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.interpolate(x, scale_factor=2, mode="bicubic")


def test_padding_modules():
    x = flow.arange(6, dtype=flow.float32).reshape(1, 2, 3)
    assert repr(nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1))"
    assert repr(nn.ReflectionPad1d((1, 2))) == "ReflectionPad1d((1, 2))"
    assert tuple(nn.ZeroPad2d((1, 0, 2, 0))(x).shape) == (1, 4, 4)
    assert _np(nn.ReflectionPad1d((1, 2))(x))[0, 0].tolist() == [1.0, 0.0, 1.0, 2.0, 1.0, 0.0]
    assert _np(nn.ReplicationPad2d((0, 1, 1, 0))(x))[0, 0].tolist() == [0.0, 1.0, 2.0, 2.0]
    assert _np(nn.ConstantPad1d(1, 7.0)(x))[0, 1].tolist() == [7.0, 3.0, 4.0, 5.0, 7.0]
    c2 = nn.ConstantPad2d((1, 1, 0, 0), -1.0)(x)
    assert _np(c2)[0, 0].tolist() == [-1.0, 0.0, 1.0, 2.0, -1.0]
    # the gradient of a reflection sums the reflected copies
    v = flow.tensor([[[1.0, 2.0, 3.0]]], requires_grad=True)
    F.pad(v, (2, 2), mode="reflect").sum().backward()
    assert _np(v.grad).tolist() == [[[2.0, 3.0, 2.0]]]
    with pytest.raises(ValueError, match="smaller"):
        nn.ReflectionPad1d(3)(x)


def test_unflatten():
    m = nn.Unflatten(1, (2, -1))
    assert tuple(m(flow.zeros(3, 10, 4)).shape) == (3, 2, 5, 4)
    assert tuple(nn.Unflatten(-1, (2, 2))(flow.zeros(3, 4)).shape) == (3, 2, 2)
    seq = nn.Sequential(nn.Flatten(), nn.Unflatten(1, (2, 3)))
    assert tuple(seq(flow.zeros(4, 2, 3)).shape) == (4, 2, 3)
    with pytest.raises(ValueError, match="product"):
        m(flow.zeros(3, 7))


def test_parameter_list_trains():
    pl = nn.ParameterList([flow.ones(2)])
    pl.append(nn.Parameter(flow.zeros(3)))
    pl += [flow.ones(1)]
    assert len(pl) == 3 and [tuple(p.shape) for p in pl] == [(2,), (3,), (1,)]
    assert all(isinstance(p, nn.Parameter) for p in pl)
    assert list(pl.state_dict()) == ["0", "1", "2"]
    assert tuple(pl[-1].shape) == (1,) and len(pl[1:]) == 2

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.ps = nn.ParameterList([flow.ones(2), flow.ones(2)])

        def forward(self):
            return (self.ps[0] * self.ps[1]).sum()

    m = M()
    opt = flow.optim.SGD(m.parameters(), lr=0.5)
    m().backward()
    opt.step()
    assert _np(m.ps[0]).tolist() == [0.5, 0.5]
    with pytest.raises(IndexError):
        pl[5]


def test_common_types():
    from flowkit.nn import common_types as ct

    for name in ("_size_1_t", "_size_2_t", "_size_3_t", "_size_any_t", "_ratio_2_t"):
        assert hasattr(ct, name)


# ----------------------------------------------------------------------------- against torch
@pytest.mark.torch_oracle
@pytest.mark.parametrize(
    "name",
    ["conv1d", "conv_transpose2d", "group_norm", "instance_norm", "upsample", "avg_pool2d"],
)
def test_modules_against_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    if name == "conv1d":
        pair = nn.Conv1d(4, 6, 3, 2, 1, 2, 2), torch.nn.Conv1d(4, 6, 3, 2, 1, 2, 2)
        x = rng.standard_normal((2, 4, 11))
    elif name == "conv_transpose2d":
        args = (4, 6, (3, 2), (2, 1), (1, 0), (1, 0), 2, True, (1, 2))
        pair = nn.ConvTranspose2d(*args), torch.nn.ConvTranspose2d(*args)
        x = rng.standard_normal((2, 4, 5, 4))
    elif name == "group_norm":
        pair = nn.GroupNorm(3, 6), torch.nn.GroupNorm(3, 6)
        x = rng.standard_normal((2, 6, 4, 3))
    elif name == "instance_norm":
        pair = (
            nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
            torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
        )
        x = rng.standard_normal((2, 3, 4, 5))
    elif name == "upsample":
        pair = (
            nn.Upsample(scale_factor=1.7, mode="bilinear"),
            torch.nn.Upsample(scale_factor=1.7, mode="bilinear"),
        )
        x = rng.standard_normal((2, 3, 4, 5))
    else:
        pair = nn.AvgPool2d(3, 2, 1, True, False), torch.nn.AvgPool2d(3, 2, 1, True, False)
        x = rng.standard_normal((2, 3, 7, 6))
    fm, tm = pair
    fm = fm.double() if hasattr(fm, "double") else fm
    tm = tm.double()
    with torch.no_grad():
        for (n, p), (tn, tp) in zip(fm.named_parameters(), tm.named_parameters()):
            assert n == tn
            tp.copy_(torch.tensor(_np(p), dtype=torch.float64))
    fx = flow.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    fy, ty = fm(fx), tm(tx)
    assert np.allclose(_np(fy), ty.detach().numpy(), atol=1e-10)
    g = rng.standard_normal(tuple(ty.shape))
    (fy * flow.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    assert np.allclose(_np(fx.grad), tx.grad.numpy(), atol=1e-10)
    for (_, p), (_, tp) in zip(fm.named_parameters(), tm.named_parameters()):
        assert np.allclose(_np(p.grad), tp.grad.numpy(), atol=1e-10)
    for (_, b), (_, tb) in zip(fm.named_buffers(), tm.named_buffers()):
        assert np.allclose(_np(b), tb.numpy(), atol=1e-10)
