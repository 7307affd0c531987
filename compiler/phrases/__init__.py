"""Layer phrases: the text of one diagram box or table cell -> registry ops.

Papers label layers in a loose shorthand ("3x3 conv, 64, /2", "conv3-64",
"Conv dw / s2", "3×3 MaxPool (stride 2 V)", "1000D fully-connected, softmax"),
often read back through OCR.  `parse_phrase` turns one such text into a `Phrase`:
a tuple of `Layer`s, each naming a DLIR registry op (or one of the special kinds
below) with the attributes the text states, the required attributes it leaves
open (`holes`), and notes on every reading that is not literal.

The steps, one module each, driven by data rather than one-off patterns
(`parse.parse_phrase` runs them in this order):

- `cleaning`: `normalise`, the canonical ASCII lower-case form (OCR digit
  confusions, compact sizes, balanced brackets).
- `tokens`: the grammar front; `grammar/phrase.lark` types the pieces (sizes,
  strides, keys, numbers, words, separators, bracket groups) as `Item`s.
- `words.drop_label`: a leading "name:" label is dropped.
- `keys`: a key and its value ("stride 2", "8 heads"), a number and its unit
  word ("64 filters") become one piece; bracket groups are flattened.
- `words.match_words`: runs of words are matched (longest first, spaces
  optional, one OCR edit tolerated in long words that are no known name, see
  `repair`) against the `vocabulary` to find ops - a key word ending a name is
  part of it ("zero pad 1"), a rank suffix glued to a name sets the rank
  ("MaxPool3D"); each op found starts a `draft.Draft`.
- `assign`: every other piece goes to the op it is written next to (after it,
  else before it, else the nearest op that takes it), as the op `families`
  and the registry say (`draft.accepts`, `draft.apply_item`).
- `finish`: each draft becomes a `Layer` (sizes by rank, defaults, holes).
- `results`: `Phrase`, `Layer` and `HOLE`.

Reading rules worth knowing: a lone number sets the op's `number` attribute
("conv 3" -> out 3); two bare numbers fill the op's `pair` in the registry's
order ("Embedding 10000, 512" -> num, dim), for convs only when the first is a
small odd kernel size 1..11 and no kernel is stated ("Conv 3, 64" -> kernel 3,
out 64; "Conv 64, 128" clashes).  A 3-part conv size at rank 2 is a filter
shape k x k x C, like the 4-part k x k x Cin x Cout: C is noted (input channels
when the output count is written too); a cube such as "3x3x3" notes that only
rank=3 makes it a 3D kernel.  "Linear" in brackets after an op with weights
("1x1 Conv (896 Linear)") means no activation (a note), not a dense layer.

Special kinds besides registry ops: "input"/"output" (attr shape, channels
first, channel count `phrase_hole` when unstated), "block" (a named block such
as "inception_a", "mbconv"; lowering decides what it is), "pool" (pooling of
unstated type; pass default_pool to decide) and "unknown" (attr text: the words
not understood).  Nothing is guessed silently: every non-literal reading leaves
a note, and a phrase with unknown words, clashing values or no op word at all
has recognised=False.

Attribute values: kernel, stride, dilation and numeric padding are tuples with
one entry per spatial dim; padding may also be "same"/"valid"; dropout rate is
a float.  Registry ops get only registry attributes (facts such as the input
channels of a filter shape go to notes).  `attrs` and `holes` are sorted by name.
"""

from papercc.compiler.phrases.cleaning import normalise
from papercc.compiler.phrases.parse import parse_phrase
from papercc.compiler.phrases.results import HOLE, Layer, Phrase, phrase_hole

__all__ = ["HOLE", "Layer", "Phrase", "normalise", "parse_phrase", "phrase_hole"]
