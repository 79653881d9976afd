defmodule Demo.Metrics.MemoryMetric do
  use Demo.Metrics.MetricResource, table: "memory_metrics"

  attributes do
    attribute :host, :string do
      allow_nil? false
      public? true
    end

    attribute :kind, :atom do
      allow_nil? false
      constraints one_of: [:used, :available, :swap]
      public? true
    end
  end

  actions do
    defaults [:read, create: [:host, :kind, :value, :recorded_at]]
  end
end
