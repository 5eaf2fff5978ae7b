"""Writes a Hugging Face CLIP tokenizer (vocab.json + merges.txt) of N tokens made from the first
merges of the OpenAI vocabulary: 256 byte symbols, the same with </w>, N-514 merges, then
<|startoftext|> and <|endoftext|> (ids N-2 and N-1). Tiny test models have small vocabularies.

    python tests/make_small_vocab.py BPE_GZ OUT_DIR N
"""
import gzip
import json
import sys


def byte_symbols():
    # GPT-2's reversible byte -> printable character table.
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def main():
    bpe, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lines = gzip.open(bpe).read().decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1 : 1 + n - 514]]
    symbols = byte_symbols()
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == n, len(vocab)
    with open(out + "/vocab.json", "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
    with open(out + "/merges.txt", "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(" ".join(m) + "\n" for m in merges))


if __name__ == "__main__":
    main()
