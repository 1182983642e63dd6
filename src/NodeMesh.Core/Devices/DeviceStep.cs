using System.Runtime.CompilerServices;

namespace NodeMesh.Core.Devices;

/// <summary>
/// The update-once rule of the configured <see cref="DeviceModel"/> (aihwkit / rpucuda): the signed
/// weight change one pulse causes on a device at weight w, including its cycle-to-cycle noise,
/// before clipping. The model constants are converted to float once; each device's own slopes and
/// steps come from its <see cref="DeviceParameters"/>. A readonly struct held by
/// <see cref="DeviceCells"/> so that the per-pulse call costs no extra indirection.
/// </summary>
internal readonly struct DeviceStep
{
    private readonly DeviceModel _model;
    private readonly float _sigma;
    private readonly bool _multNoise, _complexNoise;
    private readonly float _stdAdd, _stdSlope;
    private readonly float _expB, _expAUp, _expADown, _expGammaUp, _expGammaDown;
    private readonly DeviceNoiseSource _noise;

    /// <summary>Takes the model constants of <paramref name="config"/>; cycle-to-cycle noise comes from <paramref name="noise"/>.</summary>
    public DeviceStep(DeviceConfig config, DeviceNoiseSource noise)
    {
        _model = config.Model;
        _sigma = (float)config.DwMinStd;
        _multNoise = config.MultNoise;
        _complexNoise = config.Model == DeviceModel.ExpStep && (config.DwMinStdAdd > 0 || config.DwMinStdSlope > 0);
        _stdAdd = (float)config.DwMinStdAdd;
        _stdSlope = (float)config.DwMinStdSlope;
        _expB = (float)config.ExpB;
        _expAUp = (float)config.ExpAUp;
        _expADown = (float)config.ExpADown;
        _expGammaUp = (float)config.EffectiveGammaUp;
        _expGammaDown = (float)config.EffectiveGammaDown;
        _noise = noise;
    }

    /// <summary>
    /// The signed weight change of one pulse on a device at weight <paramref name="w"/> (before
    /// clipping). Draws one normal when dw_min_std &gt; 0 (none otherwise), except PowStep on a
    /// device without range, which does not move and draws nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Of(float w, ref DeviceParameters p, bool up)
    {
        float dw;
        switch (_model)
        {
            case DeviceModel.ConstantStep:
                dw = up ? p.DwUp : -p.DwDown;
                return _sigma == 0f ? dw : dw * (1f + _sigma * _noise.Normal());
            case DeviceModel.LinearStep:
            case DeviceModel.SoftBounds:
                dw = up ? p.DwUp * (1f - p.SUp * w) : -p.DwDown * (1f + p.SDown * w);
                if (_sigma == 0f) return dw;
                if (_multNoise) return dw * (1f + _sigma * _noise.Normal());
                return dw + (up ? p.DwUp : -p.DwDown) * _sigma * _noise.Normal();
            case DeviceModel.ExpStep:
                float z = p.SUp * w + _expB;
                dw = up
                    ? MathF.Max(1f - _expAUp * MathF.Exp(_expGammaUp * z), 0f) * p.DwUp
                    : -MathF.Max(1f - _expADown * MathF.Exp(-_expGammaDown * z), 0f) * p.DwDown;
                if (_sigma == 0f) return dw;
                if (_complexNoise) return dw + _sigma * (MathF.Abs(dw) + _stdAdd + _stdSlope * MathF.Abs(w)) * _noise.Normal();
                return dw * (1f + _sigma * _noise.Normal());
            default: // PowStep
                float range = p.BMax - p.BMin;
                if (!(range > 0f)) return 0f;
                dw = up
                    ? p.DwUp * MathF.Pow((p.BMax - w) / range, p.SUp)
                    : -p.DwDown * MathF.Pow((w - p.BMin) / range, p.SDown);
                return _sigma == 0f ? dw : dw * (1f + _sigma * _noise.Normal());
        }
    }
}
