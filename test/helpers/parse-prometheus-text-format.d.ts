// The parser has no types of its own: what the metrics test reads of its result.
declare module "parse-prometheus-text-format" {
  export interface PrometheusFamily { name: string; help: string; type: string; metrics: { labels?: Record<string, string>; value?: string }[] }
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
