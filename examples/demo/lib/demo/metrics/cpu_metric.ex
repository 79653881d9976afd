defmodule Demo.Metrics.CpuMetric do
  use Demo.Metrics.MetricResource, table: "cpu_metrics"

  attributes do
    attribute :host, :string do
      allow_nil? false
      public? true
    end

    attribute :core, :integer, public?: true
  end

  actions do
    defaults [:read, create: [:host, :core, :value, :recorded_at]]
  end
end
