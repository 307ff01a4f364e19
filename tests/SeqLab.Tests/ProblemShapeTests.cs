using SeqLab.Data.Batches;
using SeqLab.Data.Synthetic;
using SeqLab.Models;
using SeqLab.Models.Recurrent;
using SeqLab.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SeqLab.Tests;

/// <summary>
/// The design's open seams: batches that state how targets line up (never guessed from shapes), criteria chosen by the
/// task, evaluation in chunks, an overridable training step, models built through the registry, and monitors that say
/// what they cannot read.
/// </summary>
public class ProblemShapeTests
{
    [Fact]
    public void Take_cuts_a_target_sequence_to_its_own_lengths_never_to_the_sources()
    {
        // Sources of 3 and 2 tokens, targets of 6 and 5: the old Take cut the int64 [B, S] target to the source's 3 steps.
        var source = tensor(new long[] { 1, 2, 3, 4, 5, 0 }, [2, 3]);
        var targets = tensor(new long[] { 1, 1, 1, 1, 1, 1, 0, 2, 2, 2, 2, 2, 0, 0 }, [2, 7]);
        var decoder = targets.roll(1, 1);
        using var batch = SequenceBatch.SourceToTarget(source, tensor(new long[] { 3, 2 }), decoder, targets, tensor(new long[] { 6, 5 }));
        using var first = batch.Take(1);
        Assert.Equal([1L, 3], first.Inputs.shape);
        Assert.Equal([1L, 6], first.Targets.shape);      // all six target tokens survive
        Assert.Equal([1L, 6], first.DecoderInputs!.shape);
        Assert.Equal(6, first.TargetLengths![0].item<long>());
        using var both = batch.Take(5);
        Assert.Equal([2L, 6], both.Targets.shape);        // the longest target, not the padded 7
        Assert.Equal([2L, 6], both.TargetMask().shape);
        Assert.Equal(11, both.TargetMask().sum().item<long>());
    }

    [Fact]
    public void Take_trims_per_step_targets_with_the_source_and_keeps_one_target_per_sequence()
    {
        using var perStep = SequenceBatch.PerStep(tensor(new long[] { 1, 2, 3, 4, 5, 0 }, [2, 3]), tensor(new long[] { 7, 7, 7, 8, 8, 0 }, [2, 3]), tensor(new long[] { 3, 2 }));
        using var one = perStep.Take(1);
        Assert.Equal([1L, 3], one.Targets.shape);
        using var perSequence = SequenceBatch.PerSequence(randn(4, 5, 2), tensor(new long[] { 0, 1, 2, 3 }), tensor(new long[] { 2, 5, 1, 3 }));
        using var two = perSequence.Take(2);
        Assert.Equal([2L, 5, 2], two.Inputs.shape);
        Assert.Equal([2L], two.Targets.shape);
        Assert.Throws<InvalidOperationException>(() => two.TargetMask());
    }

    public static TheoryData<TaskKind> Tasks() => new(TaskKind.SequenceRegression, TaskKind.SequenceClassification, TaskKind.StepRegression, TaskKind.StepClassification, TaskKind.LanguageModel);

    [Theory]
    [MemberData(nameof(Tasks))]
    public void An_evaluation_in_chunks_scores_what_one_pass_scores(TaskKind task)
    {
        manual_seed(3);
        bool tokens = task == TaskKind.LanguageModel;
        var options = new SequenceModelOptions(tokens ? InputOptions.ForTokens(9, 6) : InputOptions.ForFeatures(3), new RecurrentOptions(RecurrentKind.Gru, 5),
            new HeadOptions(task, tokens ? 0 : 4));
        using var model = new SequenceModel(options);
        var lengths = tensor(new long[] { 7, 3, 5, 7, 2, 6, 4, 7, 1, 5, 7 });
        var inputs = tokens ? randint(0, 9, [11, 7]) : randn(11, 7, 3);
        var (targets, layout) = task switch
        {
            TaskKind.SequenceRegression => (randn(11, 4), TargetLayout.PerSequence),
            TaskKind.SequenceClassification => (randint(0, 4, [11]), TargetLayout.PerSequence),
            TaskKind.StepRegression => (randn(11, 7, 4), TargetLayout.PerStep),
            TaskKind.StepClassification => (randint(0, 4, [11, 7]), TargetLayout.PerStep),
            _ => (randint(0, 9, [11, 7]), TargetLayout.PerStep),
        };
        using var set = new SequenceBatch(inputs, targets, layout, lengths);
        var criterion = TaskCriteria.For(task);
        var whole = new Evaluator().Evaluate(model, set, criterion);
        var chunked = new Evaluator { ChunkSize = 4 }.Evaluate(model, set, criterion);
        Assert.Equal(whole.Loss, chunked.Loss, 5);
        Assert.Equal(whole.Metrics.Keys.Order(), chunked.Metrics.Keys.Order());
        foreach (var (name, value) in whole.Metrics) Assert.Equal(value, chunked.Metrics[name], 5);
        Assert.Equal(whole.Confusion is null, chunked.Confusion is null);
        if (whole.Confusion is not null) Assert.Equal(whole.Confusion, chunked.Confusion);
        Assert.Equal(Trainer.Evaluate(model, set).Loss, whole.Loss); // the trainer's shortcut uses the head's criterion
    }

    /// <summary>A training step that scores nothing: the weights must not move, and the log must say loss 0.</summary>
    sealed class NothingToLearn : TrainingStep
    {
        public int Calls { get; private set; }

        public override Tensor Loss(Tensor outputs, StepContext step, ICriterion criterion)
        {
            Calls++;
            return criterion.Loss(outputs, step.Batch) * 0;
        }
    }

    [Fact]
    public void A_task_can_bring_its_own_training_step()
    {
        manual_seed(5);
        var task = new AddingProblem(8);
        using var generator = new Generator(5);
        using var validation = task.Sample(16, new Generator(6));
        using var model = TestModels.Regressor(RecurrentKind.Gru, 4);
        var before = model.parameters().Select(p => p.detach().clone()).ToList();
        var step = new NothingToLearn();
        var outcome = new Trainer(new TrainingOptions(6, 8, 0.1, null, 5, 1, 3) { Optimizer = "sgd" }, new MonitoringOptions(1) { Monitors = [] })
            .Train(model, (g, _) => task.Sample(8, g), generator, validation, validation, new TrainingRun { Step = step });
        Assert.Equal(6, step.Calls);
        Assert.All(outcome.Log.Steps, s => Assert.Equal(0, s.TrainLoss));
        foreach (var (old, now) in before.Zip(model.parameters())) Assert.True(old.equal(now).all().item<bool>());
    }

    /// <summary>Frames in, one number out: a GRU over each frame's pixels — what a video model's input looks like to the monitors.</summary>
    sealed class FrameRegressor : nn.Module, ISequenceModel
    {
        readonly GRU recurrent;
        readonly Linear head;

        public FrameRegressor() : base(nameof(FrameRegressor))
        {
            recurrent = nn.GRU(2 * 3 * 3, 4, batchFirst: true);
            head = nn.Linear(4, 1);
            RegisterComponents();
        }

        public Tensor Forward(ModelInput input) => head.call(recurrent.call(input.Source.flatten(2)).Item2[0]);
        public IEnumerable<(string Name, Parameter Parameter)> NamedParameters() => named_parameters();
        public nn.Module Module => this;
        public long ParameterCount => parameters().Sum(p => p.numel());
        public string Description => "frames";
    }

    [Fact]
    public void The_gradient_over_time_takes_a_frame_as_one_step()
    {
        manual_seed(2);
        using var model = new FrameRegressor();
        using var generator = new Generator(2);
        SequenceBatch Frames(Generator g) => SequenceBatch.PerSequence(randn([4, 5, 2, 3, 3], generator: g), randn(4, 1, generator: g));
        using var validation = Frames(new Generator(3));
        var outcome = new Trainer(new TrainingOptions(2, 4, 1e-2, null, 2, 1, 2), new MonitoringOptions(1) { Monitors = ["time_gradients"] })
            .Train(model, (g, _) => Frames(g), generator, validation, validation, new TrainingRun { Criterion = TaskCriteria.For(TaskKind.SequenceRegression) });
        var profile = outcome.Log.TimeGradients().Where(g => g.Step == 1).ToList();
        Assert.Equal([1, 2, 3, 4, 5], profile.Select(g => g.TimeStep)); // 5 frames, not 5·2·3·3 "steps"
        Assert.All(profile, g => Assert.True(g.Norm > 0));
        Assert.Empty(outcome.Log.Notes);
    }

    [Fact]
    public void A_model_kind_builds_for_its_shape_and_refuses_another_in_words()
    {
        var single = new SingleSequenceShape(DataInput.ForFeatures(2), TaskKind.SequenceRegression, 1);
        var pair = new SequenceToSequenceShape(DataInput.ForTokens(9), 7);
        foreach (var kind in ModelKinds.All)
        {
            var config = kind.CreateConfig();
            bool encoderDecoder = config is SequenceToSequenceModelConfig;
            var (own, other) = encoderDecoder ? ((ProblemShape)pair, (ProblemShape)single) : (single, pair);
            Assert.Null(kind.Problem(config, own));
            Assert.NotNull(kind.Problem(config, other));
            manual_seed(1);
            using var model = kind.Build(config, own).Module;
        }
        var transformer = ModelKinds.Find("transformer")!;
        Assert.Equal("model.heads (3) must divide model.model_size (64)",
            transformer.Problem(new TransformerModelConfig { Heads = 3 }, single));
        Assert.Contains("model type 'gru' maps one sequence to one head",
            ModelKinds.Find("gru")!.Problem(new GruConfig(), new OtherShape()));
    }

    sealed record OtherShape() : ProblemShape(DataInput.ForTokens(5))
    {
        public override string Name => "Other";
    }
}
