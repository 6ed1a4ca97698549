using System.Reflection;
using NetArchTest.Rules;

namespace LoraPipeline.Host.Tests;

/// <summary>
/// Modules talk only through public contracts. Wolverine's generated code can only call public
/// types (wolverine#1444), so endpoints, handlers and their messages are public; the compiler
/// cannot keep modules apart, this test does: a module may use another module's
/// <c>*.Contracts</c> namespace and nothing else of it.
/// </summary>
public sealed class when_modules_depend_on_each_other
{
    private static readonly Assembly Platform = typeof(LoraPipeline.Platform.PlatformModule).Assembly;
    private static readonly Assembly Datasets = typeof(LoraPipeline.Datasets.DatasetsModule).Assembly;
    private static readonly Assembly Training = typeof(LoraPipeline.Training.TrainingModule).Assembly;
    private static readonly Assembly Artifacts = typeof(LoraPipeline.Artifacts.ArtifactsModule).Assembly;
    private static readonly Assembly Billing = typeof(LoraPipeline.Billing.BillingModule).Assembly;
    private static readonly Assembly OpenAi = typeof(LoraPipeline.OpenAi.OpenAiModule).Assembly;

    private static readonly Assembly Webhooks = typeof(LoraPipeline.Webhooks.WebhooksModule).Assembly;

    private static readonly Assembly[] Modules = [Datasets, Training, Artifacts, Billing, OpenAi, Webhooks];

    public static TheoryData<string, string> ModulePairs()
    {
        var pairs = new TheoryData<string, string>();
        foreach (var user in Modules)
        {
            foreach (var used in Modules.Where(m => m != user))
            {
                pairs.Add(user.GetName().Name!, used.GetName().Name!);
            }
        }

        return pairs;
    }

    [Theory]
    [MemberData(nameof(ModulePairs))]
    public void a_module_uses_only_the_contracts_of_another(string user, string used)
    {
        var userAssembly = Modules.Single(m => m.GetName().Name == user);
        var usedAssembly = Modules.Single(m => m.GetName().Name == used);
        var contracts = usedAssembly.GetName().Name! + ".Contracts";
        var internals = usedAssembly.GetTypes()
            // compiler-generated types (<PrivateImplementationDetails>) have the same name in every assembly
            .Where(t => t.FullName is not null && !t.FullName.StartsWith('<') && !(t.Namespace ?? "").StartsWith(contracts, StringComparison.Ordinal))
            .Select(t => t.FullName!)
            .ToArray();

        var result = Types.InAssembly(userAssembly).ShouldNot().HaveDependencyOnAny(internals).GetResult();

        Assert.True(result.IsSuccessful,
            $"{user} uses non-contract types of {used}: " + string.Join(", ", result.FailingTypeNames ?? []));
    }

    /// <summary>
    /// Billing's cost records, roll-up and inbox are projections over other modules' event streams: they may
    /// read the published events (the Contracts namespaces) and none of the events a module keeps to itself,
    /// such as Training's submission, poll and metric events.
    /// </summary>
    [Fact]
    public void billing_reads_only_published_events()
    {
        string[] internalEvents =
        [
            typeof(LoraPipeline.Training.Jobs.TrainingJobInitializing).FullName!,
            typeof(LoraPipeline.Training.Jobs.TrainingJobSubmissionFailed).FullName!,
            typeof(LoraPipeline.Training.Jobs.TrainingJobSubmitted).FullName!,
            typeof(LoraPipeline.Training.Jobs.TrainingProgressRecorded).FullName!,
            typeof(LoraPipeline.Training.Jobs.TrainingMetricsRecorded).FullName!,
            typeof(LoraPipeline.Training.Jobs.ClusterStatusCheckFailed).FullName!,
            typeof(LoraPipeline.Training.Jobs.ArtifactLinked).FullName!,
        ];

        var result = Types.InAssembly(Billing).ShouldNot().HaveDependencyOnAny(internalEvents).GetResult();

        Assert.True(result.IsSuccessful, "Billing reads internal events: " + string.Join(", ", result.FailingTypeNames ?? []));
        var webhooks = Types.InAssembly(Webhooks).ShouldNot().HaveDependencyOnAny(internalEvents).GetResult();
        Assert.True(webhooks.IsSuccessful, "Webhooks reads internal events: " + string.Join(", ", webhooks.FailingTypeNames ?? []));
    }

    [Fact]
    public void the_platform_knows_no_module_and_no_module_knows_the_host()
    {
        var modules = Modules.Select(m => m.GetName().Name!).ToArray();
        Assert.True(Types.InAssembly(Platform).ShouldNot().HaveDependencyOnAny(modules).GetResult().IsSuccessful);
        foreach (var module in Modules)
        {
            Assert.True(Types.InAssembly(module).ShouldNot().HaveDependencyOn("LoraPipeline.Host").GetResult().IsSuccessful, module.GetName().Name);
        }
    }

    [Fact]
    public void datasets_depends_on_no_other_module()
    {
        var others = new[] { "LoraPipeline.Training", "LoraPipeline.Artifacts", "LoraPipeline.Billing", "LoraPipeline.Webhooks" };
        Assert.True(Types.InAssembly(Datasets).ShouldNot().HaveDependencyOnAny(others).GetResult().IsSuccessful);
    }
}
