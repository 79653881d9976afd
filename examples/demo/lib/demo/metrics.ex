defmodule Demo.Metrics do
  use Ash.Domain, otp_app: :demo

  resources do
    resource Demo.Metrics.CpuMetric
    resource Demo.Metrics.MemoryMetric
  end
end
