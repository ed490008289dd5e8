/**
 * Just enough of the WAV format to join short PCM clips (the spoken digits of
 * the audio captcha) with silences between them. All clips must share one
 * format: 16-bit mono PCM at the same sample rate.
 */

export interface PcmClip {
  sampleRate: number;
  /** Signed 16-bit little-endian samples. */
  samples: Int16Array;
}

export function parseWav(bytes: Uint8Array): PcmClip {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (text(0) !== "RIFF" || text(8) !== "WAVE") throw new Error("not a WAV file");
  let offset = 12;
  let sampleRate = 0;
  while (offset + 8 <= bytes.length) {
    const id = text(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt ") {
      const format = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const bits = view.getUint16(body + 14, true);
      if (format !== 1 || channels !== 1 || bits !== 16) throw new Error("only 16-bit mono PCM is supported");
      sampleRate = view.getUint32(body + 4, true);
    } else if (id === "data") {
      if (!sampleRate) throw new Error("WAV data before its format");
      const count = Math.floor(Math.min(size, bytes.length - body) / 2);
      const samples = new Int16Array(count);
      for (let i = 0; i < count; i++) samples[i] = view.getInt16(body + i * 2, true);
      return { sampleRate, samples };
    }
    offset = body + size + (size % 2);
  }
  throw new Error("WAV file without data");
}

export function encodeWav(clip: PcmClip): Uint8Array<ArrayBuffer> {
  const dataBytes = clip.samples.length * 2;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const write = (offset: number, s: string) => [...s].forEach((c, i) => (bytes[offset + i] = c.charCodeAt(0)));
  write(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  write(8, "WAVE");
  write(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, clip.sampleRate, true);
  view.setUint32(28, clip.sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  write(36, "data");
  view.setUint32(40, dataBytes, true);
  clip.samples.forEach((sample, i) => view.setInt16(44 + i * 2, sample, true));
  return bytes;
}

/** Clips in order, each preceded by the given silence (in milliseconds) and scaled by its gain. */
export function joinClips(parts: Array<{ clip: PcmClip; silenceBeforeMs: number; gain: number }>, trailingSilenceMs = 300): PcmClip {
  const sampleRate = parts[0]?.clip.sampleRate ?? 16_000;
  if (parts.some((part) => part.clip.sampleRate !== sampleRate)) throw new Error("clips differ in sample rate");
  const silence = (ms: number) => Math.round((ms / 1000) * sampleRate);
  const total = parts.reduce((n, part) => n + silence(part.silenceBeforeMs) + part.clip.samples.length, 0) + silence(trailingSilenceMs);
  const samples = new Int16Array(total);
  let at = 0;
  for (const part of parts) {
    at += silence(part.silenceBeforeMs);
    for (let i = 0; i < part.clip.samples.length; i++) {
      samples[at + i] = Math.max(-32768, Math.min(32767, Math.round(part.clip.samples[i]! * part.gain)));
    }
    at += part.clip.samples.length;
  }
  return { sampleRate, samples };
}
