using LoraPipeline.SlurmGateway;

// The Slurm gateway: serves the GPU cluster contract on a login node (see README.md for its configuration).
var app = GatewayApp.Build(args);
app.Run();
