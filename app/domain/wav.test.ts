import { describe, expect, it } from "vitest";
import { encodeWav, joinClips, parseWav, type PcmClip } from "./wav";

const clip = (values: number[], sampleRate = 16_000): PcmClip => ({ sampleRate, samples: Int16Array.from(values) });

describe("WAV clips", () => {
  it("round-trips 16-bit mono PCM", () => {
    const original = clip([0, 1000, -1000, 32767, -32768]);
    const parsed = parseWav(encodeWav(original));
    expect(parsed.sampleRate).toBe(16_000);
    expect([...parsed.samples]).toEqual([...original.samples]);
  });

  it("writes a header players accept", () => {
    const bytes = encodeWav(clip([1, 2, 3]));
    const text = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
    expect([text(0), text(8), text(12), text(36)]).toEqual(["RIFF", "WAVE", "fmt ", "data"]);
    expect(new DataView(bytes.buffer).getUint32(40, true)).toBe(6);
  });

  it("joins clips in order with the silences and gains asked for", () => {
    const joined = joinClips(
      [
        { clip: clip([100, 200], 1000), silenceBeforeMs: 2, gain: 1 },
        { clip: clip([300], 1000), silenceBeforeMs: 3, gain: 0.5 },
      ],
      1,
    );
    expect([...joined.samples]).toEqual([0, 0, 100, 200, 0, 0, 0, 150, 0]);
  });

  it("clips instead of wrapping around when a gain overflows", () => {
    expect([...joinClips([{ clip: clip([30000, -30000], 1000), silenceBeforeMs: 0, gain: 2 }], 0).samples]).toEqual([32767, -32768]);
  });

  it("refuses formats it cannot join", () => {
    expect(() => parseWav(new Uint8Array(44))).toThrow("not a WAV file");
    expect(() =>
      joinClips([
        { clip: clip([1], 8000), silenceBeforeMs: 0, gain: 1 },
        { clip: clip([1], 16000), silenceBeforeMs: 0, gain: 1 },
      ]),
    ).toThrow();
  });
});
