/**
 * The ":::" anchor (導盲磚) that starts each region on Taiwanese government
 * sites, with its access key (U top, C main content, Z bottom).
 */
export function AccessKeyAnchor({ accessKey, title }: { accessKey: "U" | "C" | "Z"; title: string }) {
  return (
    <a id={accessKey} href={`#${accessKey}`} accessKey={accessKey} title={title} className="access-key-anchor">
      :::
    </a>
  );
}
