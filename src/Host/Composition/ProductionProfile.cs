namespace LoraPipeline.Host.Composition;

/// <summary>
/// What Production refuses to start with, unless the operator says so explicitly: the GPU simulator mounted on the
/// public port (fake GPUs whose jobs bill like real ones), the demo account, whose key is printed at every
/// start, and webhooks allowed to plain http or private addresses. Development, Testing and the benchmarks keep them.
/// </summary>
internal static class ProductionProfile
{
    public static WebApplicationBuilder RefuseUnsafeSettings(this WebApplicationBuilder builder)
    {
        if (!builder.Environment.IsProduction())
        {
            return builder;
        }

        var problems = new List<string>();
        var configuration = builder.Configuration;
        if (SimulatedGpuCluster.IsSimulated(configuration) && !configuration.GetValue("Production:AllowSimulator", false))
        {
            problems.Add("GpuCluster:Mode is Simulated, which serves a fake GPU cluster on this port; set GpuCluster:Mode=External and GpuCluster:BaseUrl "
                         + "for a real cluster, or Production:AllowSimulator=true for a demo deployment.");
        }

        if (configuration.GetValue("DemoAccount:Enabled", false) && !configuration.GetValue("Production:AllowDemoAccount", false))
        {
            problems.Add("DemoAccount:Enabled is true, which creates a user whose key is printed at every start; turn it off, or set "
                         + "Production:AllowDemoAccount=true for a demo deployment.");
        }

        // webhooks to plain http or to private addresses are for development and tests: in Production they would let any
        // user make the platform call its own network (SSRF) or send signed payloads in clear text
        var unsafeWebhooks = new[] { "Webhooks:AllowInsecure", "Webhooks:AllowPrivateAddresses" }
            .Where(setting => configuration.GetValue(setting, false)).ToList();
        if (unsafeWebhooks.Count > 0 && !configuration.GetValue("Production:AllowUnsafeWebhooks", false))
        {
            problems.Add($"{string.Join(" and ", unsafeWebhooks)} let webhooks use plain http or reach private addresses (this platform's own network); "
                         + "turn them off, or set Production:AllowUnsafeWebhooks=true for a closed test deployment.");
        }

        return problems.Count == 0
            ? builder
            : throw new InvalidOperationException("Refusing to start in Production: " + string.Join(" ", problems));
    }
}
