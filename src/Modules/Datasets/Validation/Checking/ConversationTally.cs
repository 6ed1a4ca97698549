namespace LoraPipeline.Datasets.Validation;

/// <summary>Running totals of one conversation's messages, kept on the stack while its line is parsed.</summary>
internal struct ConversationTally
{
    public int Messages;
    public int Tokens;
    public int AssistantTokens;
    public bool HasSystem;
    public bool HasUser;
    public bool HasAssistant;
    public bool HasUnresolvedRole;

    public void Add(ChatRole role, int messageTokens, int contentTokens)
    {
        Messages++;
        HasUnresolvedRole |= role == ChatRole.None;
        Tokens += messageTokens;
        HasSystem |= role == ChatRole.System;
        HasUser |= role == ChatRole.User;
        if (role == ChatRole.Assistant)
        {
            HasAssistant = true;
            AssistantTokens += contentTokens;
        }
    }
}
