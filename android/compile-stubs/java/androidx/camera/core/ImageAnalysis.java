// COMPILE-ONLY STUB of androidx.camera:camera-core's ImageAnalysis (see ../../../../README.md):
// only the nested Analyzer interface is used. The real class extends UseCase.
package androidx.camera.core;

public final class ImageAnalysis {
    private ImageAnalysis() {}

    public interface Analyzer {
        void analyze(ImageProxy image);
    }
}
