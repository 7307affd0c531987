"""Architecture tables of real papers lowered to DLIR, checked layer by layer against what
the papers state (parameter counts from ../shared/papers/README.md)."""

from __future__ import annotations

from functools import cache

import pymupdf
import pytest
from paths import PAPERS

import papercc
from papercc.compiler.lower.context import TextContext, read_context
from papercc.compiler.lower.table import lower_table, model_name
from papercc.compiler.tables.find import find_arch_tables
from papercc.compiler.tables.model import ArchTable, Config, Entry
from papercc.ir.check import check_module
from papercc.ir.ops.rules import as_tuple

pytestmark = pytest.mark.skipif(not PAPERS.exists(), reason="shared papers not present")


@cache
def lowered(file: str, page: int):
    doc = pymupdf.open(PAPERS / file)
    ctx = read_context("\n".join(p.get_text() for p in doc))
    (table,) = find_arch_tables(doc[page - 1])
    result = lower_table(table, ctx, {"file": file, "page": page})
    text = papercc.format(result.module)
    checked = check_module(papercc.parse(text), holes="warning")
    assert checked.ok, [d.header() for d in checked.diagnostics if d.severity == "error"]
    return result, checked


def convs(graph):
    return [
        (as_tuple(n.attrs["kernel"], 2, "kernel"), n.outputs[0].type.shape[1])
        for n in graph.nodes
        if n.op == "conv2d"
    ]


def test_vgg_configurations_and_counts() -> None:
    result, checked = lowered("vgg_1409.1556.pdf", 3)
    assert [h for _, h in result.models] == ["A", "A-LRN", "B", "C", "D", "E"]
    counts = {name: checked.graphs[name].params for name, _ in result.models}
    assert counts["D"] == 138_357_544
    assert counts["E"] == 143_667_240
    assert counts["A"] == 132_863_336
    d = checked.graphs["D"]
    widths = [c for _, c in convs(d)]
    assert widths == [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    assert all(k == (3, 3) for k, _ in convs(d))
    assert [n.op for n in d.nodes].count("maxpool2d") == 5
    assert [n.attrs["units"] for n in d.nodes if n.op == "dense"] == [4096, 4096, 1000]
    assert [n.op for n in d.nodes][-1] == "softmax"
    assert any(n.op == "lrn" for n in checked.graphs["A_LRN"].nodes)
    assert [k for k, _ in convs(checked.graphs["C"])].count((1, 1)) == 3


@pytest.mark.parametrize(
    "header,params",
    [
        ("18-layer", 11_689_512),
        ("34-layer", 21_797_672),
        ("50-layer", 25_557_032),
        ("101-layer", 44_549_160),
        ("152-layer", 60_192_808),
    ],
)
def test_resnet_variants(header: str, params: int) -> None:
    result, checked = lowered("resnet_1512.03385.pdf", 5)
    name = dict((h, n) for n, h in result.models)[header]
    g = checked.graphs[name]
    assert g.params == params
    assert str(g.outputs[0].type) == "f32[N, 1000]"
    # the stage outputs are the table's output sizes
    stage_ends = {}
    for n in g.nodes:
        stage = n.name.split("_")[0] if n.name.startswith("conv") and "_" in n.name else None
        if stage:
            stage_ends[stage] = n.outputs[0].type.shape[2]
    assert stage_ends["conv2"] == 56 and stage_ends["conv5"] == 7


def test_googlenet_rows() -> None:
    result, checked = lowered("googlenet_cvpr2015.pdf", 5)
    name, header = result.models[0]
    g = checked.graphs[name]
    assert 6_600_000 <= g.params <= 7_000_000  # the README's range; LRN/BN choices vary
    concat = [n for n in g.nodes if n.op == "concat"]
    assert [c.outputs[0].type.shape[1:] for c in concat] == [
        (256, 28, 28), (480, 28, 28), (512, 14, 14), (512, 14, 14), (512, 14, 14),
        (528, 14, 14), (832, 14, 14), (832, 7, 7), (1024, 7, 7),
    ]  # fmt: skip
    assert any(n.op == "dropout" and n.attrs["rate"] == 0.4 for n in g.nodes)
    assert str(g.outputs[0].type) == "f32[N, 1000]"


def test_mobilenet_rows() -> None:
    result, checked = lowered("mobilenet_1704.04861.pdf", 4)
    name, _ = result.models[0]
    g = checked.graphs[name]
    assert round(g.params / 1e6, 1) == 4.2  # Table 8: 4.2 M
    assert sum(1 for n in g.nodes if n.op == "depthwise_conv2d") == 13
    assert sum(1 for n in g.nodes if n.op == "conv2d") == 14
    (pool,) = [n for n in g.nodes if "pool" in n.op]
    assert pool.outputs[0].type.shape[1:] == (1024, 1, 1)
    assert any("contradicts the sizes" in f.message for f in result.findings)


def test_synthetic_table_without_prose_keeps_holes() -> None:
    table = ArchTable(
        page=1,
        bbox=(0, 0, 1, 1),
        caption="Table 9: a net",
        orientation="rows",
        configs=(Config("tiny", (Entry("conv 3x3"), Entry("max pool"), Entry("fc"))),),
    )
    result = lower_table(table, TextContext())
    text = papercc.format(result.module)
    assert "?" in text  # input size, conv width, pool window, fc units: not said anywhere
    checked = check_module(papercc.parse(text), holes="warning")
    assert checked.ok
    assert any(d.code == "hole" for d in checked.diagnostics)
    assert not any(
        "relu" in line for line in text.splitlines() if not line.lstrip().startswith("#")
    )


def test_model_names_are_identifiers() -> None:
    taken: set[str] = set()
    assert model_name("D", taken) == "D"
    assert model_name("A-LRN", taken) == "A_LRN"
    assert model_name("50-layer", taken) == "net_50_layer"
    assert model_name("D", taken) == "D_2"
    assert model_name("conv2d", taken) == "conv2d_net"
    assert model_name("'); drop", taken) == "drop"


def test_first_row_a_repeated_stack() -> None:
    """A table that starts with a repeated stack no known block explains: a local block,
    repeated, that refers to its own input."""
    stack = Entry("2× [conv 3x3, 8; conv 1x1, 8]", repeat=2, stack=("conv 3x3, 8", "conv 1x1, 8"))
    table = ArchTable(
        1, (0, 0, 1, 1), "Table 2: x", "rows", (Config("n", (stack, Entry("fc 10"))),)
    )
    text = papercc.format(lower_table(table, TextContext(input_hw=(8, 8), input_channels=3)).module)
    checked = check_module(papercc.parse(text))
    assert checked.ok, [d.header() for d in checked.diagnostics]
    assert [n.op for n in checked.graphs["n"].nodes] == ["conv2d"] * 4 + ["flatten", "dense"]
