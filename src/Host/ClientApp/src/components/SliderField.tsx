import { useId, type ReactNode } from 'react';

/** A labelled range input with its value shown beside the label and its bounds below. */
export function SliderField({ label, value, min, max, step, onChange, display, hint, valueText, testId, minLabel, maxLabel }: {
  label: string;
  value: number;
  min: number;
  max: number;
  step: number;
  onChange: (value: number) => void;
  display: ReactNode;
  hint?: ReactNode;
  valueText?: string;
  testId?: string;
  minLabel?: string;
  maxLabel?: string;
}) {
  const id = useId();
  const hintId = useId();
  const fill = max > min ? ((Math.min(max, Math.max(min, value)) - min) / (max - min)) * 100 : 0;
  return (
    <div className="slider-field" data-testid={testId}>
      <div className="slider-field__top">
        <label className="field__label" htmlFor={id}>{label}</label>
        <output className="slider-field__value" htmlFor={id}>{display}</output>
      </div>
      <input
        id={id}
        className="range"
        type="range"
        min={min}
        max={max}
        step={step}
        value={value}
        aria-valuetext={valueText}
        aria-describedby={hint ? hintId : undefined}
        style={{ ['--fill' as string]: `${fill}%` }}
        onChange={(e) => onChange(Number(e.target.value))}
      />
      <div className="slider-field__bounds" aria-hidden="true">
        <span>{minLabel ?? min}</span>
        <span>{maxLabel ?? max}</span>
      </div>
      {hint && <p className="field__hint" id={hintId}>{hint}</p>}
    </div>
  );
}
