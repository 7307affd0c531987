"""The model zoo: every hand-written DLIR model checks cleanly, is canonical, and has the
published parameter count and output shapes (hand-computed counts where nothing is published)."""

from __future__ import annotations

from functools import cache
from itertools import pairwise

import pytest
from paths import ZOO

import papercc


def conv(cin: int, cout: int, k: int, bias: bool = True) -> int:
    """Parameters of a square k x k conv (or a 2x2 up-conv: same count)."""
    return k * k * cin * cout + (cout if bias else 0)


def dense(fin: int, fout: int) -> int:
    return fin * fout + fout


def unet_params() -> int:
    """U-Net of the paper: two 3x3 convs per level, 2x2 up-convs halving channels, 1x1 out."""
    chans = [1, 64, 128, 256, 512, 1024]
    down = sum(conv(a, b, 3) + conv(b, b, 3) for a, b in pairwise(chans))
    up = 0
    for c in (1024, 512, 256, 128):  # up-conv c -> c/2, concat to c, two convs to c/2
        up += conv(c, c // 2, 2) + conv(c, c // 2, 3) + conv(c // 2, c // 2, 3)
    return down + up + conv(64, 2, 1)


def lstm_captioner_params() -> int:
    """Image projection 2048->256, embedding 1000x256, LSTM 256->512 (4 gates, two biases),
    classifier 512->1000."""
    vocab, emb, hidden, feat = 1000, 256, 512, 2048
    lstm = 4 * hidden * (emb + hidden) + 2 * 4 * hidden
    return dense(feat, emb) + vocab * emb + lstm + dense(hidden, vocab)


def transformer_encoder_params() -> int:
    """Token and position embeddings, 2 post-norm layers (attention with in/out projections,
    two layernorms, feed-forward d->ff->d), dense head d->vocab."""
    vocab, d, ff, layers, positions = 1000, 128, 512, 2, 64
    attention = 4 * d * d + 4 * d
    norms = 2 * (2 * d)
    layer = attention + norms + dense(d, ff) + dense(ff, d)
    return vocab * d + positions * d + layers * layer + dense(d, vocab)


# model name -> (trainable parameters, output types)
EXPECTED = {
    "lenet5": (61_706, ["f32[N, 10]"]),
    "alexnet": (61_100_840, ["f32[N, 1000]"]),
    "vgg16": (138_357_544, ["f32[N, 1000]"]),
    "resnet18": (11_689_512, ["f32[N, 1000]"]),
    "resnet50": (25_557_032, ["f32[N, 1000]"]),
    "googlenet": (6_624_904, ["f32[N, 1000]"]),
    "inception_v3": (27_161_264, ["f32[N, 1000]", "f32[N, 1000]"]),
    "densenet121": (7_978_856, ["f32[N, 1000]"]),
    "mobilenet_v2": (3_504_872, ["f32[N, 1000]"]),
    "squeezenet1_1": (1_235_496, ["f32[N, 1000]"]),
    "unet": (unet_params(), ["f32[N, 2, 388, 388]"]),
    "lstm_captioner": (lstm_captioner_params(), ["f32[N, ?, 1000]"]),
    "transformer_encoder": (transformer_encoder_params(), ["f32[N, T, 1000]"]),
}

# model name -> [(layer name, output type, trainable parameters or None)]
SPOT_CHECKS = {
    "lenet5": [
        ("c1", "f32[N, 6, 28, 28]", 156),
        ("c3", "f32[N, 16, 10, 10]", 2_416),
        ("c5", "f32[N, 120, 1, 1]", 48_120),
        ("f6", "f32[N, 84]", 10_164),
    ],
    "alexnet": [
        ("conv1", "f32[N, 64, 55, 55]", 23_296),
        ("pool5", "f32[N, 256, 6, 6]", 0),
        ("fc6", "f32[N, 4096]", 37_752_832),
    ],
    "vgg16": [
        ("block1.1.conv", "f32[N, 64, 224, 224]", 36_928),
        ("block5.2.conv", "f32[N, 512, 14, 14]", 2_359_808),
        ("pool5", "f32[N, 512, 7, 7]", 0),
        ("fc6", "f32[N, 4096]", 102_764_544),
    ],
    "resnet18": [
        ("conv1", "f32[N, 64, 112, 112]", 9_408),
        ("layer1.1.conv2", "f32[N, 64, 56, 56]", 36_864),
        ("layer2.0.downsample.1", "f32[N, 128, 28, 28]", 256),
        ("layer4.1.relu2", "f32[N, 512, 7, 7]", 0),
        ("fc", "f32[N, 1000]", 513_000),
    ],
    "resnet50": [
        ("layer1.0.conv3", "f32[N, 256, 56, 56]", 16_384),
        ("layer2.0.conv2", "f32[N, 128, 28, 28]", 147_456),  # v1.5: stride on the 3x3
        ("layer3.0.downsample.1", "f32[N, 1024, 14, 14]", 2_048),
        ("layer3.5.relu3", "f32[N, 1024, 14, 14]", 0),
        ("layer4.2.relu3", "f32[N, 2048, 7, 7]", 0),
        ("fc", "f32[N, 1000]", 2_049_000),
    ],
    "googlenet": [
        ("conv1.conv", "f32[N, 64, 112, 112]", 9_408),
        ("maxpool2", "f32[N, 192, 28, 28]", 0),
        ("inception3a.concat1", "f32[N, 256, 28, 28]", 0),
        ("inception4a.concat1", "f32[N, 512, 14, 14]", 0),
        ("inception4e.concat1", "f32[N, 832, 14, 14]", 0),
        ("inception5b.concat1", "f32[N, 1024, 7, 7]", 0),
        ("inception3a.branch3_1.conv", "f32[N, 32, 28, 28]", 4_608),  # torchvision's 3x3
    ],
    "inception_v3": [
        ("Conv2d_1a_3x3.conv", "f32[N, 32, 149, 149]", 864),
        ("maxpool2", "f32[N, 192, 35, 35]", 0),
        ("Mixed_5b.concat1", "f32[N, 256, 35, 35]", 0),
        ("Mixed_6a.concat1", "f32[N, 768, 17, 17]", 0),
        ("Mixed_6b.branch7x7_2.conv", "f32[N, 128, 17, 17]", 114_688),
        ("Mixed_7a.concat1", "f32[N, 1280, 8, 8]", 0),
        ("Mixed_7c.concat3", "f32[N, 2048, 8, 8]", 0),
        ("AuxLogits.conv1.conv", "f32[N, 768, 1, 1]", 2_457_600),
        ("AuxLogits.fc", "f32[N, 1000]", 769_000),
        ("fc", "f32[N, 1000]", 2_049_000),
    ],
    "densenet121": [
        ("pool0", "f32[N, 64, 56, 56]", 0),
        ("denseblock1.5.concat1", "f32[N, 256, 56, 56]", 0),
        ("transition1.pool", "f32[N, 128, 28, 28]", 0),
        ("transition3.pool", "f32[N, 512, 7, 7]", 0),
        ("denseblock4.15.concat1", "f32[N, 1024, 7, 7]", 0),
        ("classifier", "f32[N, 1000]", 1_025_000),
    ],
    "mobilenet_v2": [
        ("stem.conv", "f32[N, 32, 112, 112]", 864),
        ("stage2.first.dwconv", "f32[N, 96, 56, 56]", 864),
        ("stage4.rest.2.add1", "f32[N, 64, 14, 14]", 0),
        ("stage7.projectbn", "f32[N, 320, 7, 7]", 640),
        ("head.conv", "f32[N, 1280, 7, 7]", 409_600),
        ("classifier", "f32[N, 1000]", 1_281_000),
    ],
    "squeezenet1_1": [
        ("pool1", "f32[N, 64, 55, 55]", 0),
        ("fire2.concat1", "f32[N, 128, 55, 55]", 0),
        ("fire9.concat1", "f32[N, 512, 13, 13]", 0),
        ("conv10", "f32[N, 1000, 13, 13]", 513_000),
    ],
    "unet": [
        ("down1.conv2", "f32[N, 64, 568, 568]", 36_928),
        ("bottom.conv2", "f32[N, 1024, 28, 28]", 9_438_208),
        ("up1.upconv", "f32[N, 512, 56, 56]", 2_097_664),
        ("up1.crop", "f32[N, 512, 56, 56]", 0),
        ("up4.crop", "f32[N, 64, 392, 392]", 0),
        ("classifier", "f32[N, 2, 388, 388]", 130),
    ],
    "lstm_captioner": [
        ("image_proj", "f32[N, 256]", 524_544),
        ("embed", "f32[N, T, 256]", 256_000),
        ("lstm", "f32[N, ?, 512]", 1_576_960),
    ],
    "transformer_encoder": [
        ("embed", "f32[N, T, 128]", 128_000),
        ("layers.0.self_attn", "f32[N, T, 128]", 66_048),
        ("layers.1.linear1", "f32[N, T, 512]", 66_048),
        ("layers.1.norm2", "f32[N, T, 128]", 256),
    ],
}

MODELS = sorted(EXPECTED)


@cache
def checked(name: str) -> papercc.CheckResult:
    return papercc.check(papercc.load(ZOO / f"{name}.dlir"))


def graph(name: str) -> papercc.Graph:
    return checked(name).graphs[name]


def test_zoo_holds_exactly_the_listed_models():
    assert sorted(p.stem for p in ZOO.glob("*.dlir")) == MODELS


@pytest.mark.parametrize("name", MODELS)
def test_checks_without_diagnostics(name):
    result = checked(name)
    assert result.diagnostics == []
    assert list(result.graphs) == [name]


@pytest.mark.parametrize("name", MODELS)
def test_is_canonical(name):
    path = ZOO / f"{name}.dlir"
    assert papercc.format(papercc.load(path)) == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", MODELS)
def test_parameter_count(name):
    assert graph(name).params == EXPECTED[name][0]


@pytest.mark.parametrize("name", MODELS)
def test_output_types(name):
    assert [str(v.type) for v in graph(name).outputs] == EXPECTED[name][1]


@pytest.mark.parametrize("name", MODELS)
def test_node_params_add_up(name):
    g = graph(name)
    assert sum(n.params for n in g.nodes) == g.params


@pytest.mark.parametrize(
    "name, layer, out_type, params",
    [(m, *check) for m in MODELS for check in SPOT_CHECKS[m]],
)
def test_spot_check_layer(name, layer, out_type, params):
    nodes = {n.name: n for n in graph(name).nodes}
    assert layer in nodes, f"no layer {layer!r} in {name}"
    node = nodes[layer]
    assert [str(v.type) for v in node.outputs] == [out_type]
    assert node.params == params


def test_hand_counts():
    # the formulas above, evaluated once by hand
    assert unet_params() == 31_030_658
    assert lstm_captioner_params() == 2_870_504
    assert transformer_encoder_params() == 661_736


def test_inception_v3_outputs_are_logits_then_aux():
    outs = graph("inception_v3").outputs
    assert [v.producer.name for v in outs] == ["fc", "AuxLogits.fc"]


def test_resnet_weight_keys_are_torchvisions() -> None:
    """The weights file of zoo ResNets is keyed like torchvision's state_dict."""
    from papercc.backends.weights import weight_specs

    graph = papercc.check(papercc.load(ZOO / "resnet18.dlir")).graphs["resnet18"]
    keys = {key for key, _, _ in weight_specs(graph)}
    assert len(keys) == 102  # torchvision resnet18: 122 entries, 20 of them num_batches_tracked
    for key in (
        "conv1.weight",
        "bn1.running_var",
        "layer1.0.conv1.weight",
        "layer2.0.downsample.0.weight",
        "layer2.0.downsample.1.bias",
        "layer4.1.bn2.weight",
        "fc.bias",
    ):
        assert key in keys
