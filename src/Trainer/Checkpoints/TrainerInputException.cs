namespace LoraPipeline.Trainer.Checkpoints;

/// <summary>
/// A problem with what the user gave the trainer (a file, a tensor, an option): reported as one line
/// that names the file and the tensor, with exit code 2.
/// </summary>
public sealed class TrainerInputException : Exception
{
    public TrainerInputException(string message)
        : base(message)
    {
    }

    public TrainerInputException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public TrainerInputException()
    {
    }
}
