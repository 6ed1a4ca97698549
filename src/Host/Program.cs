using LoraPipeline.Artifacts;
using LoraPipeline.Billing;
using LoraPipeline.Datasets;
using LoraPipeline.Host.Composition;
using LoraPipeline.OpenAi;
using LoraPipeline.Platform;
using LoraPipeline.Training;
using LoraPipeline.Webhooks;
using JasperFx;

// Composition root: configuration, infrastructure and the modules, nothing else.
var builder = WebApplication.CreateBuilder(args);
// catch a singleton holding a scoped service at start-up, in development and in the tests
builder.Host.UseDefaultServiceProvider((context, options) =>
    options.ValidateScopes = options.ValidateOnBuild = !context.HostingEnvironment.IsProduction());

builder.RefuseUnsafeSettings();
builder.AddLogging();
builder.AddCritterStack();
builder.AddHttpSurface();
builder.AddTelemetry();

builder.AddPlatform();
builder.AddDatasets();
builder.AddTraining();
builder.AddArtifacts();
builder.AddBilling();
builder.AddOpenAi();
builder.AddWebhooks();
builder.AddSimulatedGpuCluster();

var app = builder.Build();

app.UseHttpSurface();
app.MapPlatform();
app.MapSimulatedGpuCluster();
app.MapWolverineSurface();
app.MapDashboard();

return await app.RunJasperFxCommands(args);

/// <summary>Visible to the test host (Alba) and the benchmarks.</summary>
public partial class Program;
