namespace LoraPipeline.Reliability.Tests;

/// <summary>
/// The scenarios that start whole Host processes run one after another: side by side on two cores
/// they would measure each other's load instead of the platform's behaviour.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostProcesses
{
    public const string Name = "host processes";
}
